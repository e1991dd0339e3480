namespace Ferry.Agent;

/// <summary>
/// Finds statements that would undo what the roles pin at session start (<c>statement_timeout</c>, <c>read_only</c>).
/// A small tokenizer, case-insensitive, that skips comments and string literals (PostgreSQL: <c>--</c>, nested
/// <c>/* */</c>, <c>'…'</c>, <c>E'…'</c>, <c>$tag$…$tag$</c>; MySQL: <c>--␠</c>, <c>#</c>, <c>/* */</c>, <c>'…'</c>,
/// <c>"…"</c> with backslash escapes) but reads MySQL's executable comments and optimizer hints (<c>/*! */</c>,
/// <c>/*M! */</c>, <c>/*+ */</c>), which the server runs. Quoted identifiers are names like any other.
/// It refuses when in doubt: any statement naming a pinned setting as a word or inside a string (function bodies,
/// DO blocks) other than one that starts with SHOW or SELECT, a pinned name followed by <c>(</c> anywhere (an optimizer hint), any <c>set_config(</c> whose first argument is not a string literal naming another setting, and
/// with <c>read_only</c> any <c>READ WRITE</c>. What it cannot see: server-side code run by the statement (functions,
/// procedures, <c>DO</c> blocks, dynamic SQL built from strings) — see docs/rbac.md.
/// </summary>
internal static class PinnedSettingsFilter
{
    public enum Dialect
    {
        Postgres,
        MySql,
    }

    private static readonly string[] PostgresTimeout = ["statement_timeout"];
    private static readonly string[] PostgresReadOnly = ["default_transaction_read_only", "transaction_read_only"];
    private static readonly string[] MySqlTimeout = ["max_statement_time", "max_execution_time"];
    private static readonly string[] MySqlReadOnly = ["transaction_read_only", "tx_read_only"];

    /// <summary>Longest statement looked at; a longer one is refused when settings are pinned (in doubt).</summary>
    public const int MaxLength = 1024 * 1024;

    /// <summary>Null when <paramref name="sql"/> leaves the pinned settings alone; else the setting it would change.</summary>
    public static string? Violation(string sql, Dialect dialect, bool timeout, bool readOnly)
    {
        if (!timeout && !readOnly)
        {
            return null;
        }
        if (sql.Length > MaxLength)
        {
            return "a statement too long to check";
        }
        var names = new List<string>(4);
        if (timeout)
        {
            names.AddRange(dialect == Dialect.Postgres ? PostgresTimeout : MySqlTimeout);
        }
        if (readOnly)
        {
            names.AddRange(dialect == Dialect.Postgres ? PostgresReadOnly : MySqlReadOnly);
        }
        var tokens = Tokenize(sql, dialect);
        var start = 0;
        for (var i = 0; i <= tokens.Count; i++)
        {
            if (i < tokens.Count && tokens[i] is not { Kind: TokenKind.Punct, Text: ";" })
            {
                continue;
            }
            var found = Check(tokens, start, i, names, dialect, readOnly);
            if (found is not null)
            {
                return found;
            }
            start = i + 1;
        }
        return null;
    }

    private static string? Check(List<Token> tokens, int start, int end, List<string> names, Dialect dialect, bool readOnly)
    {
        if (start >= end)
        {
            return null;
        }
        var first = tokens[start];
        var reading = first.Kind == TokenKind.Word && first.Text is "show" or "select";
        for (var i = start; i < end; i++)
        {
            var t = tokens[i];
            if (t.Kind == TokenKind.String && !reading)
            {
                // A function body, a DO block, a prepared text: in doubt when it names a pinned setting.
                foreach (var name in names)
                {
                    if (t.Text.Contains(name, StringComparison.Ordinal))
                    {
                        return name;
                    }
                }
                continue;
            }
            if (t.Kind != TokenKind.Word)
            {
                continue;
            }
            // A name followed by '(' is a call or an optimizer hint (MySQL /*+ MAX_EXECUTION_TIME(0) */), even in a SELECT.
            if (names.Contains(t.Text) && (!reading || (i + 1 < end && tokens[i + 1] is { Kind: TokenKind.Punct, Text: "(" })))
            {
                return t.Text;
            }
            if (readOnly && t.Text == "read" && i + 1 < end && tokens[i + 1] is { Kind: TokenKind.Word, Text: "write" })
            {
                return dialect == Dialect.Postgres ? "default_transaction_read_only (READ WRITE)" : "transaction_read_only (READ WRITE)";
            }
            if (dialect == Dialect.Postgres && t.Text == "set_config" && i + 1 < end && tokens[i + 1] is { Kind: TokenKind.Punct, Text: "(" })
            {
                // set_config('name', value, is_local): only a literal name that is not pinned is let through.
                if (i + 2 >= end || tokens[i + 2].Kind != TokenKind.String)
                {
                    return "set_config with a setting name that is not a literal";
                }
                var name = tokens[i + 2].Text.Trim();
                if (names.Contains(name))
                {
                    return name;
                }
            }
        }
        return null;
    }

    private enum TokenKind : byte
    {
        Word,
        String,
        Punct,
    }

    private readonly record struct Token(TokenKind Kind, string Text);

    private static List<Token> Tokenize(string sql, Dialect dialect)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < sql.Length)
        {
            var c = sql[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            if (c == '-' && At(sql, i + 1, '-') && (dialect == Dialect.Postgres || i + 2 >= sql.Length || char.IsWhiteSpace(sql[i + 2])))
            {
                i = SkipLine(sql, i);
                continue;
            }
            if (c == '#' && dialect == Dialect.MySql)
            {
                i = SkipLine(sql, i);
                continue;
            }
            if (c == '/' && At(sql, i + 1, '*'))
            {
                if (dialect == Dialect.MySql && (At(sql, i + 2, '!') || At(sql, i + 2, '+') || (At(sql, i + 2, 'M') && At(sql, i + 3, '!'))))
                {
                    // Executed by the server: read what is inside (the version number after ! is a word, harmless).
                    i += At(sql, i + 2, 'M') ? 4 : 3;
                    continue;
                }
                i = SkipBlockComment(sql, i, nested: dialect == Dialect.Postgres);
                continue;
            }
            if (c == '*' && At(sql, i + 1, '/') && dialect == Dialect.MySql)
            {
                i += 2; // the end of an executable comment
                continue;
            }
            if (c == '\'' || (c == '"' && dialect == Dialect.MySql))
            {
                var backslash = dialect == Dialect.MySql || (i > 0 && sql[i - 1] is 'E' or 'e');
                i = ReadQuoted(sql, i, c, backslash, out var text);
                if (dialect == Dialect.Postgres && tokens.Count > 0 && tokens[^1] is { Kind: TokenKind.Word, Text: "e" })
                {
                    tokens.RemoveAt(tokens.Count - 1); // E'…': the E was read as a word
                }
                tokens.Add(new Token(TokenKind.String, text.ToLowerInvariant()));
                continue;
            }
            if (c == '"' || (c == '`' && dialect == Dialect.MySql))
            {
                i = ReadQuoted(sql, i, c, backslash: false, out var ident);
                tokens.Add(new Token(TokenKind.Word, ident.ToLowerInvariant()));
                continue;
            }
            if (c == '$' && dialect == Dialect.Postgres && TryDollarQuote(sql, i, out var after, out var body))
            {
                i = after;
                tokens.Add(new Token(TokenKind.String, body.ToLowerInvariant()));
                continue;
            }
            if (char.IsLetterOrDigit(c) || c == '_' || c == '$' || c > 127)
            {
                var s = i;
                while (i < sql.Length && (char.IsLetterOrDigit(sql[i]) || sql[i] == '_' || sql[i] == '$' || sql[i] > 127))
                {
                    i++;
                }
                tokens.Add(new Token(TokenKind.Word, sql[s..i].ToLowerInvariant()));
                continue;
            }
            tokens.Add(new Token(TokenKind.Punct, c.ToString()));
            i++;
        }
        return tokens;
    }

    private static bool At(string s, int i, char c) => i < s.Length && s[i] == c;

    private static int SkipLine(string s, int i)
    {
        var end = s.IndexOf('\n', i);
        return end < 0 ? s.Length : end + 1;
    }

    private static int SkipBlockComment(string s, int i, bool nested)
    {
        var depth = 0;
        while (i < s.Length)
        {
            if (s[i] == '/' && At(s, i + 1, '*'))
            {
                depth++;
                i += 2;
                if (!nested && depth > 1)
                {
                    depth = 1;
                }
                continue;
            }
            if (s[i] == '*' && At(s, i + 1, '/'))
            {
                i += 2;
                if (--depth == 0)
                {
                    return i;
                }
                continue;
            }
            i++;
        }
        return s.Length;
    }

    private static int ReadQuoted(string s, int i, char quote, bool backslash, out string text)
    {
        var sb = new System.Text.StringBuilder();
        i++;
        while (i < s.Length)
        {
            var c = s[i];
            if (backslash && c == '\\' && i + 1 < s.Length)
            {
                sb.Append(s[i + 1]);
                i += 2;
                continue;
            }
            if (c == quote)
            {
                if (At(s, i + 1, quote))
                {
                    sb.Append(quote);
                    i += 2;
                    continue;
                }
                text = sb.ToString();
                return i + 1;
            }
            sb.Append(c);
            i++;
        }
        text = sb.ToString();
        return s.Length;
    }

    private static bool TryDollarQuote(string s, int i, out int after, out string body)
    {
        after = i;
        body = "";
        var j = i + 1;
        while (j < s.Length && (char.IsLetterOrDigit(s[j]) || s[j] == '_'))
        {
            j++;
        }
        if (j >= s.Length || s[j] != '$' || (j > i + 1 && char.IsDigit(s[i + 1])))
        {
            return false;
        }
        var tag = s[i..(j + 1)];
        var end = s.IndexOf(tag, j + 1, StringComparison.Ordinal);
        if (end < 0)
        {
            body = s[(j + 1)..];
            after = s.Length;
            return true;
        }
        body = s[(j + 1)..end];
        after = end + tag.Length;
        return true;
    }
}
