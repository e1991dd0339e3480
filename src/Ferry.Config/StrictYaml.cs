using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Ferry.Config;

/// <summary>
/// What Ferry's strict YAML readers (<c>ferry.yaml</c> here, role files in Ferry.Rbac) share: loading with a
/// located syntax error, the YAML 1.2 nulls, and the <c>file:line:col: path: message</c> form of every error.
/// </summary>
public static class StrictYaml
{
    /// <summary>Loads every document of <paramref name="text"/>; on a syntax error returns false and says where and what.</summary>
    public static bool TryLoad(string text, out YamlStream stream, out YamlSyntaxError error)
    {
        stream = new YamlStream();
        error = default;
        try
        {
            using var reader = new StringReader(text);
            stream.Load(reader);
            return true;
        }
        catch (YamlException ex)
        {
            // YamlDotNet starts its message with the position ("(Line: 2, Col: 7, Idx: 17) - (...): "), which
            // the caller prints in its own form.
            var message = ex.InnerException?.Message ?? ex.Message;
            var cut = message.IndexOf("): ", StringComparison.Ordinal);
            if (message.StartsWith('(') && cut > 0)
            {
                message = message[(cut + 3)..];
            }

            error = new YamlSyntaxError(ex.Start.Line, ex.Start.Column, message);
            return false;
        }
    }

    /// <summary>A plain (unquoted) empty, <c>~</c> or <c>null</c> scalar, as YAML 1.2 reads it.</summary>
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode scalar
        && scalar.Style == ScalarStyle.Plain
        && (scalar.Value is null or "" or "~" or "null" or "Null" or "NULL");

    /// <summary>An error message that names the place: <c>role.yaml:7:5: allow.db_labels.env: expected a string</c> (no path part when <paramref name="path"/> is empty).</summary>
    public static string At(string source, long line, long column, string path, string message) =>
        path.Length == 0 ? $"{source}:{line}:{column}: {message}" : $"{source}:{line}:{column}: {path}: {message}";

    /// <inheritdoc cref="At(string, long, long, string, string)"/>
    public static string At(string source, YamlNode node, string path, string message) =>
        At(source, node.Start.Line, node.Start.Column, path, message);
}

/// <summary>Where YAML text stops being YAML, and YamlDotNet's reason.</summary>
public readonly record struct YamlSyntaxError(long Line, long Column, string Message);
