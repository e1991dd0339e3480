using System.CommandLine;
using Ferry.Client;
using Ferry.Contracts;
using Ferry.Text;

namespace Ferry.Cli.Commands;

/// <summary><c>ferry mfa add|confirm|ls|rm</c>: the TOTP devices that pass session MFA (local and SSO users).</summary>
internal static class MfaCommands
{
    public static Command Build()
    {
        var mfa = new Command("mfa", """
            Manage the TOTP devices that pass MFA per session (databases whose roles set require_session_mfa).
            Local users can also use their login's TOTP; SSO users add a device here first.

            Example:
              ferry mfa add phone
              ferry mfa ls
            """);
        mfa.Subcommands.Add(Add());
        mfa.Subcommands.Add(Confirm());
        mfa.Subcommands.Add(List());
        mfa.Subcommands.Add(Remove());
        return mfa;
    }

    private static Argument<string> NameArgument() => new("NAME") { Description = "Device name: 1-64 letters, digits, _ - ." };

    private static Command Add()
    {
        var name = NameArgument();
        var otp = new Option<string>("--otp") { Description = "A current code from a device you already have (your login's or one added before; also FERRY_OTP)" };
        var command = new Command("add", """
            Add a TOTP device: prints its secret and otpauth:// URI once (scan it into an authenticator app), then asks
            for its first code to confirm it. When you already have a device, a code from it is needed (--otp or asked).
            Without a terminal, confirm within 10 minutes with `ferry mfa confirm NAME --otp CODE`.

            Example:
              ferry mfa add phone
              ferry mfa add laptop --otp 123456
            """)
        {
            name, otp,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            using var session = ClientSession.Load(Cli.Paths);
            using var api = session.Api();
            var device = parse.GetValue(name)!;
            var existing = parse.GetValue(otp) ?? Environment.GetEnvironmentVariable(OtpPrompts.EnvironmentVariable);
            MfaDeviceEnrolment enrolment;
            try
            {
                enrolment = await api.AddMfaDeviceAsync(new MfaDeviceRequest { Name = device, Otp = existing }, ct).ConfigureAwait(false);
            }
            catch (FerryClientException e) when (string.IsNullOrEmpty(existing) && Prompt.IsInteractive && e.Message.Contains("one you already have", StringComparison.Ordinal))
            {
                Console.Error.WriteLine("ferry: " + e.Message);
                existing = Prompt.ReadSecret("Code from an existing device: ");
                enrolment = await api.AddMfaDeviceAsync(new MfaDeviceRequest { Name = device, Otp = existing }, ct).ConfigureAwait(false);
            }

            Console.WriteLine($"New TOTP device \"{enrolment.Name}\" (shown once; add it to your authenticator app):");
            Console.WriteLine("  Secret: " + enrolment.Secret);
            Console.WriteLine("  URI:    " + enrolment.Uri);
            if (!Prompt.IsInteractive)
            {
                Console.WriteLine($"Confirm it before {LoginCommands.Time(enrolment.ConfirmBy)} with: ferry mfa confirm {enrolment.Name} --otp CODE");
                return 0;
            }

            var first = Prompt.ReadSecret($"First code of \"{enrolment.Name}\": ");
            var devices = await api.ConfirmMfaDeviceAsync(new MfaDeviceRequest { Name = device, Otp = first }, ct).ConfigureAwait(false);
            Console.WriteLine($"Added TOTP device \"{device}\"; you have {devices.Devices.Count} device(s) for MFA.");
            return 0;
        });
        return command;
    }

    private static Command Confirm()
    {
        var name = NameArgument();
        var otp = new Option<string>("--otp") { Description = "The current code of the new device", Required = true };
        var command = new Command("confirm", """
            Confirm a device `ferry mfa add` printed, with its current code (for scripts; add asks on a terminal).

            Example:
              ferry mfa confirm phone --otp 123456
            """)
        {
            name, otp,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            using var session = ClientSession.Load(Cli.Paths);
            using var api = session.Api();
            var device = parse.GetValue(name)!;
            var devices = await api.ConfirmMfaDeviceAsync(new MfaDeviceRequest { Name = device, Otp = parse.GetValue(otp) }, ct).ConfigureAwait(false);
            Console.WriteLine($"Added TOTP device \"{device}\"; you have {devices.Devices.Count} device(s) for MFA.");
            return 0;
        });
        return command;
    }

    private static Command List()
    {
        var command = new Command("ls", """
            List your TOTP devices for MFA ("login" is a local user's login TOTP).

            Example:
              ferry mfa ls
            """);
        command.SetGuardedAction(async (_, ct) =>
        {
            using var session = ClientSession.Load(Cli.Paths);
            using var api = session.Api();
            var devices = await api.ListMfaDevicesAsync(ct).ConfigureAwait(false);
            var table = new TextTable("NAME", "KIND", "ADDED");
            foreach (var d in devices.Devices)
            {
                table.Add(d.Name, d.Kind, d.Added is { } added ? LoginCommands.Time(added) : "");
            }

            table.Write(Console.Out);
            if (devices.Devices.Count == 0)
            {
                Console.Error.WriteLine("No TOTP device: add one with `ferry mfa add NAME`.");
            }

            return 0;
        });
        return command;
    }

    private static Command Remove()
    {
        var name = NameArgument();
        var otp = new Option<string>("--otp") { Description = "A current code of any of your devices (also FERRY_OTP; asked on a terminal)" };
        var command = new Command("rm", """
            Remove a TOTP device (a current code of any of your devices is needed).

            Example:
              ferry mfa rm phone
            """)
        {
            name, otp,
        };
        command.SetGuardedAction(async (parse, ct) =>
        {
            using var session = ClientSession.Load(Cli.Paths);
            using var api = session.Api();
            var device = parse.GetValue(name)!;
            var code = parse.GetValue(otp) ?? Environment.GetEnvironmentVariable(OtpPrompts.EnvironmentVariable);
            if (string.IsNullOrEmpty(code))
            {
                if (!Prompt.IsInteractive)
                {
                    return Cli.Fail("removing a device needs a current code of one of your devices: pass --otp CODE");
                }

                code = Prompt.ReadSecret("Code from one of your devices: ");
            }

            var devices = await api.DeleteMfaDeviceAsync(new MfaDeviceRequest { Name = device, Otp = code }, ct).ConfigureAwait(false);
            Console.WriteLine($"Removed TOTP device \"{device}\"; {devices.Devices.Count} device(s) left for MFA.");
            return 0;
        });
        return command;
    }
}
