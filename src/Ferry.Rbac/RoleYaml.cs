using Ferry.Config;

namespace Ferry.Rbac;

/// <summary>
/// Reads and writes role documents. Reading uses YamlDotNet's representation model (no reflection);
/// a file may hold several documents separated by <c>---</c>. Every problem is reported with the
/// source name, line, column and field path; unknown keys are errors.
/// </summary>
public static class RoleYaml
{
    /// <summary>Parses every role document in <paramref name="yaml"/>.</summary>
    /// <exception cref="RoleValidationException">The text is not valid YAML or a document is not a valid role.</exception>
    public static IReadOnlyList<RoleDocument> Parse(string yaml, string source = "role.yaml")
    {
        ArgumentNullException.ThrowIfNull(yaml);
        if (!StrictYaml.TryLoad(yaml, out var stream, out var syntax))
        {
            throw new RoleValidationException(
                [new RoleValidationError(source, syntax.Line, syntax.Column, "", "invalid YAML: " + syntax.Message)]);
        }

        var errors = new List<RoleValidationError>();
        var roles = new List<RoleDocument>();
        foreach (var document in stream.Documents)
        {
            var role = new RoleYamlReader(source, errors).ReadRole(document.RootNode);
            if (role is not null)
            {
                roles.Add(role);
            }
        }

        if (errors.Count > 0)
        {
            throw new RoleValidationException(errors);
        }

        if (roles.Count == 0)
        {
            throw new RoleValidationException([new RoleValidationError(source, 1, 1, "", "no role document found")]);
        }

        return roles;
    }

    /// <summary>Parses text that must hold exactly one role.</summary>
    public static RoleDocument ParseSingle(string yaml, string source = "role.yaml")
    {
        var roles = Parse(yaml, source);
        if (roles.Count != 1)
        {
            throw new RoleValidationException(
                [new RoleValidationError(source, 1, 1, "", $"expected one role document, found {roles.Count}")]);
        }

        return roles[0];
    }

    /// <summary>Writes a role as canonical YAML that <see cref="Parse"/> reads back to an equal role.</summary>
    public static string Write(RoleDocument role) => RoleYamlWriter.Write(role);
}
