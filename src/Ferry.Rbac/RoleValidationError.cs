using Ferry.Config;

namespace Ferry.Rbac;

/// <summary>One problem found in a role document, with the field path and its position.</summary>
/// <param name="Source">File name (or other label) of the YAML text.</param>
/// <param name="Line">1-based line of the offending node.</param>
/// <param name="Column">1-based column of the offending node.</param>
/// <param name="Path">Dotted field path, e.g. <c>allow.db_labels.env</c>.</param>
/// <param name="Message">What is wrong and what is expected.</param>
public sealed record RoleValidationError(string Source, long Line, long Column, string Path, string Message)
{
    /// <summary>Formats as <c>role.yaml:7:5: allow.db_labels.env: expected a string or a list of strings</c>.</summary>
    public override string ToString() => StrictYaml.At(Source, Line, Column, Path, Message);
}
