namespace Ferry.Auth;

/// <summary>Validation of user, role, host and database names used as backend keys.</summary>
internal static class Names
{
    public static void Require(string? value, string what)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 128)
        {
            throw AuthException.BadRequest($"{what} must be 1-128 characters");
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('_' or '-' or '.' or '@'))
            {
                throw AuthException.BadRequest($"{what} \"{value}\" may only use letters, digits, '_', '-', '.' and '@'");
            }
        }
    }
}
