using System.Text;

namespace Ferry.Rbac;

/// <summary>
/// A small, bounded predicate over an access request, used by <c>allow.request.thresholds[].filter</c> and
/// <c>allow.review_requests.where</c>. It is parsed once (when the role is read) into a tree and evaluated without
/// any code generation. Grammar:
/// <code>
/// expr    := and ( "||" and )*
/// and     := unary ( "&amp;&amp;" unary )*
/// unary   := "!" unary | "(" expr ")" | "true" | "false" | call
/// call    := ("contains" | "equals" | "matches") "(" value "," value ")"
/// value   := field | "string"            (double quotes; \" and \\ escape)
/// field   := request.user | request.roles | request.resources | request.reason | request.suggested_reviewers
///          | reviewer.user | reviewer.roles                         (reviewer.* only in review_requests.where)
/// </code>
/// <c>contains(list, x)</c>: the list holds the value x exactly; <c>equals(a, b)</c>: two single values are equal;
/// <c>matches(list, "glob")</c>: some element matches the <c>*</c> pattern. At most <see cref="MaxLength"/> characters
/// and <see cref="MaxNodes"/> nodes, nesting at most <see cref="MaxDepth"/> deep.
/// </summary>
public sealed class RequestPredicate
{
    public const int MaxLength = 1024;
    public const int MaxNodes = 128;
    public const int MaxDepth = 16;

    private readonly Node _root;

    private RequestPredicate(string text, Node root)
    {
        Text = text;
        _root = root;
    }

    /// <summary>The source text (written back as is).</summary>
    public string Text { get; }

    /// <summary>Parses <paramref name="text"/>; on failure returns null and says why in <paramref name="error"/>.</summary>
    public static RequestPredicate? TryParse(string text, bool allowReviewer, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxLength)
        {
            error = $"is longer than {MaxLength} characters";
            return null;
        }

        var parser = new Parser(text, allowReviewer);
        try
        {
            var root = parser.ParseExpression(0);
            parser.SkipSpace();
            if (!parser.AtEnd)
            {
                throw parser.Fail("unexpected text");
            }

            error = null;
            return new RequestPredicate(text, root);
        }
        catch (FormatException e)
        {
            error = e.Message;
            return null;
        }
    }

    /// <summary>Evaluates the predicate against one request (and reviewer, for <c>where</c>).</summary>
    public bool Evaluate(RequestPredicateContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return _root.Evaluate(context);
    }

    public override string ToString() => Text;

    private abstract class Node
    {
        public abstract bool Evaluate(RequestPredicateContext c);
    }

    private sealed class Constant(bool value) : Node
    {
        public override bool Evaluate(RequestPredicateContext c) => value;
    }

    private sealed class Not(Node inner) : Node
    {
        public override bool Evaluate(RequestPredicateContext c) => !inner.Evaluate(c);
    }

    private sealed class And(Node left, Node right) : Node
    {
        public override bool Evaluate(RequestPredicateContext c) => left.Evaluate(c) && right.Evaluate(c);
    }

    private sealed class Or(Node left, Node right) : Node
    {
        public override bool Evaluate(RequestPredicateContext c) => left.Evaluate(c) || right.Evaluate(c);
    }

    private sealed class Call(string function, Value a, Value b) : Node
    {
        public override bool Evaluate(RequestPredicateContext c)
        {
            var left = a.Get(c);
            var right = b.Get(c);
            return function switch
            {
                "contains" => right.Count == 1 && left.Contains(right[0], StringComparer.Ordinal),
                "equals" => left.Count == 1 && right.Count == 1 && string.Equals(left[0], right[0], StringComparison.Ordinal),
                "matches" => right.Count == 1 && left.Any(v => Glob.IsMatch(right[0], v)),
                _ => false,
            };
        }
    }

    private sealed class Value(string? literal, string? fieldName)
    {
        public bool IsList => fieldName is "request.roles" or "request.resources" or "request.suggested_reviewers" or "reviewer.roles";

        public IReadOnlyList<string> Get(RequestPredicateContext c) => fieldName switch
        {
            null => [literal!],
            "request.user" => [c.User],
            "request.reason" => [c.Reason],
            "request.roles" => c.Roles,
            "request.resources" => c.Resources,
            "request.suggested_reviewers" => c.SuggestedReviewers,
            "reviewer.user" => [c.ReviewerUser],
            "reviewer.roles" => c.ReviewerRoles,
            _ => [],
        };
    }

    private sealed class Parser(string text, bool allowReviewer)
    {
        private static readonly string[] Fields =
        [
            "request.user", "request.roles", "request.resources", "request.reason", "request.suggested_reviewers",
            "reviewer.user", "reviewer.roles",
        ];

        private int _pos;
        private int _nodes;

        public bool AtEnd => _pos >= text.Length;

        public Node ParseExpression(int depth)
        {
            if (depth > MaxDepth)
            {
                throw Fail($"nests more than {MaxDepth} deep");
            }

            var left = ParseAnd(depth);
            while (TryConsume("||"))
            {
                left = Count(new Or(left, ParseAnd(depth)));
            }

            return left;
        }

        private Node ParseAnd(int depth)
        {
            var left = ParseUnary(depth);
            while (TryConsume("&&"))
            {
                left = Count(new And(left, ParseUnary(depth)));
            }

            return left;
        }

        private Node ParseUnary(int depth)
        {
            if (depth > MaxDepth)
            {
                throw Fail($"nests more than {MaxDepth} deep");
            }

            SkipSpace();
            if (TryConsume("!"))
            {
                return Count(new Not(ParseUnary(depth + 1)));
            }

            if (TryConsume("("))
            {
                var inner = ParseExpression(depth + 1);
                Expect(")");
                return inner;
            }

            var word = ReadWord();
            switch (word)
            {
                case "true":
                    return Count(new Constant(true));
                case "false":
                    return Count(new Constant(false));
                case "contains" or "equals" or "matches":
                    Expect("(");
                    var a = ReadValue();
                    Expect(",");
                    var b = ReadValue();
                    Expect(")");
                    if (b.IsList)
                    {
                        throw Fail($"the second argument of {word} must be a single value, not a list");
                    }

                    if (word == "equals" && a.IsList)
                    {
                        throw Fail("equals compares two single values: use contains(list, value) for a list");
                    }

                    return Count(new Call(word, a, b));
                case "":
                    throw Fail("expected true, false, !, ( or one of contains(…), equals(…), matches(…)");
                default:
                    throw Fail($"unknown function or word \"{word}\" (expected contains, equals, matches, true, false)");
            }
        }

        private Value ReadValue()
        {
            SkipSpace();
            if (!AtEnd && text[_pos] == '"')
            {
                return new Value(ReadString(), null);
            }

            var word = ReadWord();
            if (!Fields.Contains(word, StringComparer.Ordinal))
            {
                throw Fail(word.Length == 0
                    ? "expected a \"string\" or a field such as request.roles"
                    : $"unknown field \"{word}\" (expected {string.Join(", ", Fields.Where(f => allowReviewer || !f.StartsWith("reviewer.", StringComparison.Ordinal)))})");
            }

            if (!allowReviewer && word.StartsWith("reviewer.", StringComparison.Ordinal))
            {
                throw Fail($"{word} is only known in review_requests.where (a threshold filter sees the request only)");
            }

            return new Value(null, word);
        }

        private string ReadString()
        {
            var sb = new StringBuilder();
            _pos++; // opening quote
            while (!AtEnd)
            {
                var c = text[_pos++];
                if (c == '"')
                {
                    return sb.ToString();
                }

                if (c == '\\')
                {
                    if (AtEnd || text[_pos] is not ('"' or '\\'))
                    {
                        throw Fail("only \\\" and \\\\ may be escaped in a string");
                    }

                    c = text[_pos++];
                }

                sb.Append(c);
            }

            throw Fail("unterminated string");
        }

        private string ReadWord()
        {
            SkipSpace();
            var start = _pos;
            while (!AtEnd && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] is '_' or '.'))
            {
                _pos++;
            }

            return text[start.._pos];
        }

        private void Expect(string token)
        {
            if (!TryConsume(token))
            {
                throw Fail($"expected \"{token}\"");
            }
        }

        private bool TryConsume(string token)
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _pos, token, 0, token.Length) == 0)
            {
                _pos += token.Length;
                return true;
            }

            return false;
        }

        public void SkipSpace()
        {
            while (!AtEnd && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        private Node Count(Node node)
        {
            if (++_nodes > MaxNodes)
            {
                throw Fail($"has more than {MaxNodes} terms");
            }

            return node;
        }

        public FormatException Fail(string message) => new($"{message} at character {Math.Min(_pos, text.Length) + 1}");
    }
}
