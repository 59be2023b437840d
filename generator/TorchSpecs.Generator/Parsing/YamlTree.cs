using System.IO;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace TorchSpecs.Generator.Parsing;

/// <summary>A place in the YAML text: character index, zero-based line and column.</summary>
internal readonly record struct TextMark(int Index, int Line, int Column);

/// <summary>A YAML node with its span. Lives only inside the parser.</summary>
internal abstract class YNode
{
    protected YNode(TextMark start, TextMark end) { Start = start; End = end; }
    public TextMark Start { get; }
    public TextMark End { get; }
    public abstract string Describe();
}

internal sealed class YScalar : YNode
{
    public YScalar(string value, bool isPlain, TextMark start, TextMark end) : base(start, end)
    { Value = value; IsPlain = isPlain; }
    public string Value { get; }
    /// <summary>Unquoted: only plain scalars can be numbers or booleans.</summary>
    public bool IsPlain { get; }
    public bool IsNull => IsPlain && (Value.Length == 0 || Value == "~" || Value == "null" || Value == "Null" || Value == "NULL");
    public override string Describe() => IsNull ? "empty" : $"'{(Value.Length > 40 ? Value.Substring(0, 40) + "..." : Value)}'";
}

internal sealed class YSequence : YNode
{
    public YSequence(IReadOnlyList<YNode> items, TextMark start, TextMark end) : base(start, end) { Items = items; }
    public IReadOnlyList<YNode> Items { get; }
    public override string Describe() => $"a list of {Items.Count}";
}

internal sealed class YMapping : YNode
{
    public YMapping(IReadOnlyList<KeyValuePair<YScalar, YNode>> entries, TextMark start, TextMark end) : base(start, end)
    { Entries = entries; }
    public IReadOnlyList<KeyValuePair<YScalar, YNode>> Entries { get; }
    public override string Describe() => "a mapping";
}

/// <summary>A problem found while reading the YAML itself.</summary>
internal sealed record YamlProblem(string Kind, string Message, TextMark Start, TextMark End)
{
    /// <summary>The arguments of the diagnostic, when it is not one message (an unquoted value: key, expected, found).</summary>
    public string[]? Args { get; init; }
}

/// <summary>
/// Reads YAML text into <see cref="YNode"/>s with exact spans, using YamlDotNet's event
/// parser. Duplicate keys, aliases, several documents and too deep nesting are reported,
/// not thrown; YamlDotNet's own syntax errors come back as a problem at their mark.
/// </summary>
internal static class YamlTree
{
    public const int MaxDepth = 32;

    /// <summary>The most values aliases (*name) may copy in one file: a spec is a few hundred values.</summary>
    public const int MaxAliasNodes = 10_000;

    public static YNode? Read(string text, List<YamlProblem> problems)
    {
        text = YamlPrescan.Normalize(text);
        if (YamlPrescan.Check(text, MaxDepth) is { } blocking)
        {
            problems.Add(blocking);
            return null;
        }
        var scanner = new Scanner(new StringReader(text), skipComments: true);
        var reader = new Reader(new Parser(scanner), problems, text);
        try
        {
            return reader.ReadStream();
        }
        catch (YamlException e)
        {
            var at = ToMark(e.Start);
            var end = ToMark(e.End);
            // YamlDotNet marks a point; the diagnostic covers the character there, so that it can be seen.
            if (end.Index <= at.Index && at.Index < text.Length && text[at.Index] != '\n')
                end = new TextMark(at.Index + 1, at.Line, at.Column + 1);
            problems.Add(new YamlProblem("syntax", Explain(text, Clean(e.Message), at), at, end));
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException && e.TargetSite?.DeclaringType?.Assembly == typeof(Parser).Assembly)
        {
            // YamlDotNet's scanner throws plain exceptions on some broken input (e.g. an
            // InvalidOperationException inside a plain scalar): a syntax error where it stopped.
            var at = ToMark(scanner.CurrentPosition);
            var open = reader.OpenFlow ?? UnclosedBracket(text, at.Index);
            if (open is { } o)
                problems.Add(new YamlProblem("syntax",
                    $"this '{o.Bracket}' is not closed before line {at.Line + 1}; end it with '{(o.Bracket == '{' ? '}' : ']')}'{RowExample(text)}", o.Start, o.End));
            else
                problems.Add(new YamlProblem("syntax", "the YAML cannot be read from here on (an unexpected character or line break in a value)" + RowExample(text), at, at));
            return null;
        }
    }

    /// <summary>
    /// YamlDotNet's message in plain words. Most errors in a hand-written spec are indentation:
    /// those say so, with the line's and the line above's indentation and a row in the style
    /// the file uses.
    /// </summary>
    internal static string Explain(string text, string message, TextMark at)
    {
        bool indentation = message.IndexOf("did not find expected key", StringComparison.OrdinalIgnoreCase) >= 0
            || message.IndexOf("did not find expected '-' indicator", StringComparison.OrdinalIgnoreCase) >= 0
            || message.IndexOf("mapping values are not allowed in this context", StringComparison.OrdinalIgnoreCase) >= 0
            || message.IndexOf("could not find expected ':'", StringComparison.OrdinalIgnoreCase) >= 0
            || message.IndexOf("violate indentation", StringComparison.OrdinalIgnoreCase) >= 0;
        var lines = text.Split('\n');
        if (indentation && at.Line < lines.Length)
        {
            int Indent(string l) { int n = 0; while (n < l.Length && l[n] == ' ') n++; return n; }
            bool Content(string l) { string t = l.Trim(); return t.Length > 0 && t[0] != '#'; }
            // An error at the start of a blank line or past the end is about the line it ends.
            int line = Math.Min(at.Line, lines.Length - 1);
            while (line > 0 && !Content(lines[line])) line--;
            int above = line - 1;
            while (above >= 0 && !Content(lines[above])) above--;
            string where = above >= 0
                ? $"line {line + 1} is indented by {Spaces(Indent(lines[line]))} and line {above + 1} above it by {Spaces(Indent(lines[above]))}"
                : $"line {line + 1} is indented by {Spaces(Indent(lines[line]))}";
            return $"the indentation is wrong: {where}; keys of one mapping and items of one list start in the same column{RowExample(text)}";
        }
        return message + "; fix the YAML syntax at this point" + RowExample(text);
    }

    private static string Spaces(int n) => n == 1 ? "1 space" : $"{n} spaces";

    /// <summary>A row written as the file writes its rows: flow ({ ... }) or block (one key per line).</summary>
    internal static string RowExample(string text)
    {
        bool block = text.IndexOf("- {", StringComparison.Ordinal) < 0 &&
                     (text.IndexOf("- name:", StringComparison.Ordinal) >= 0 || text.IndexOf("- type:", StringComparison.Ordinal) >= 0);
        return block
            ? " (a row looks like '  - name: conv1' with its other keys below name, each on its own line and in name's column: '    type: conv')"
            : " (a row looks like '  - { name: conv1, type: conv, kernel: 3, filters: 64 }')";
    }

    /// <summary>The innermost '{' or '[' still open at <paramref name="end"/>, skipping quotes and comments.</summary>
    internal static (char Bracket, TextMark Start, TextMark End)? UnclosedBracket(string text, int end)
    {
        var open = new Stack<(char Bracket, int Index, int Line, int Column)>();
        int line = 0, lineStart = 0;
        end = Math.Min(end, text.Length);
        for (int i = 0; i < end; i++)
        {
            char c = text[i];
            if (c == '\n') { line++; lineStart = i + 1; continue; }
            if (c == '#' && (i == 0 || char.IsWhiteSpace(text[i - 1])))
            {
                while (i + 1 < end && text[i + 1] != '\n') i++;
                continue;
            }
            if (c is '\'' or '"' && (i == 0 || text[i - 1] is ' ' or '\t' or '{' or '[' or ',' or ':'))
            {
                int close = text.IndexOf(c, i + 1);
                int newline = text.IndexOf('\n', i + 1);
                if (close > 0 && close < end && (newline < 0 || close < newline)) { i = close; continue; }
            }
            if (c is '{' or '[') open.Push((c, i, line, i - lineStart));
            else if (c is '}' or ']' && open.Count > 0 && open.Peek().Bracket == (c == '}' ? '{' : '[')) open.Pop();
        }
        if (open.Count == 0) return null;
        var top = open.Peek();
        return (top.Bracket, new TextMark(top.Index, top.Line, top.Column), new TextMark(top.Index + 1, top.Line, top.Column + 1));
    }

    internal static TextMark ToMark(Mark mark) => new(
        (int)Math.Min(int.MaxValue, Math.Max(0, mark.Index)),
        (int)Math.Min(int.MaxValue, Math.Max(0, mark.Line - 1)),
        (int)Math.Min(int.MaxValue, Math.Max(0, mark.Column - 1)));

    private static string Clean(string message)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 40) - (Line: ...): " which the location already says,
        // and ends its sentences with a period the diagnostic would double.
        int at = message.IndexOf("): ", StringComparison.Ordinal);
        string text = at >= 0 && message.StartsWith("(", StringComparison.Ordinal) ? message.Substring(at + 3) : message;
        return text.Trim().TrimEnd('.');
    }

    private sealed class Reader
    {
        private readonly IParser _parser;
        private readonly List<YamlProblem> _problems;
        private readonly string _text;
        private readonly Dictionary<string, YNode> _anchors = new();
        private readonly Stack<(char Bracket, TextMark Start, TextMark End)> _flow = new();

        /// <summary>The innermost '{' or '[' being read, when the scanner gives up inside one.</summary>
        public (char Bracket, TextMark Start, TextMark End)? OpenFlow => _flow.Count > 0 ? _flow.Peek() : null;

        public Reader(IParser parser, List<YamlProblem> problems, string text) { _parser = parser; _problems = problems; _text = text; }

        /// <summary>
        /// A mapping entry with no key (<c>: value</c>): YamlDotNet marks the empty key where the
        /// token before it ended, often the line above; put it on its ':' instead.
        /// </summary>
        private YNode EmptyKeyAtItsColon(YNode key, YNode value)
        {
            if (key is not YScalar { Value.Length: 0, IsPlain: true } || key.Start.Index != key.End.Index || value.Start.Index > _text.Length) return key;
            // Back from the value over blanks only: the ':' is on the value's line.
            int i = value.Start.Index - 1;
            while (i >= 0 && _text[i] is ' ' or '\t') i--;
            if (i < 0 || _text[i] != ':' || i < key.Start.Index) return key;
            int column = value.Start.Column - (value.Start.Index - i);
            return new YScalar("", true, new TextMark(i, value.Start.Line, column), new TextMark(i + 1, value.Start.Line, column + 1));
        }

        public YNode? ReadStream()
        {
            _parser.Consume<StreamStart>();
            if (_parser.TryConsume<StreamEnd>(out _)) return null;
            _parser.Consume<DocumentStart>();
            YNode root = ReadNode(0);
            _parser.Consume<DocumentEnd>();
            if (_parser.Accept<DocumentStart>(out var second))
            {
                _problems.Add(new YamlProblem("syntax", "the file holds more than one YAML document ('---'); a spec is one document: delete the second one",
                    ToMark(second.Start), ToMark(second.End)));
            }
            return root;
        }

        private YNode ReadNode(int depth)
        {
            var current = _parser.Current ?? throw new YamlException("unexpected end of the YAML stream");
            if (depth > MaxDepth)
            {
                _problems.Add(new YamlProblem("depth", $"the YAML nests deeper than {MaxDepth} levels", ToMark(current.Start), ToMark(current.End)));
                SkipNode();
                return new YScalar("", true, ToMark(current.Start), ToMark(current.End));
            }

            switch (current)
            {
                case AnchorAlias alias:
                {
                    _parser.MoveNext();
                    if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                        throw new YamlException(alias.Start, alias.End, $"the alias *{alias.Value.Value} names no anchor defined before it");
                    // A copy that lives where the alias is written: whatever is wrong with the value
                    // here (a duplicate row name, a shape) is reported at *alias, not at the anchor.
                    var at = (ToMark(alias.Start), ToMark(alias.End));
                    var copy = _aliasNodes > MaxAliasNodes ? null : Copy(target, at.Item1, at.Item2);
                    if (copy is not null) return copy;
                    if (_aliasBudgetReported) return new YScalar("", true, at.Item1, at.Item1);
                    _aliasBudgetReported = true;
                    _problems.Add(new YamlProblem("alias",
                        $"the aliases expand to more than {MaxAliasNodes} values; a spec writes its values out (defaults: gives keys to every row)",
                        at.Item1, at.Item2));
                    return new YScalar("", true, at.Item1, at.Item1);
                }
                case Scalar scalar:
                    _parser.MoveNext();
                    Tag(scalar.Tag, scalar);
                    var node = new YScalar(scalar.Value, scalar.Style == ScalarStyle.Plain, ToMark(scalar.Start), ToMark(scalar.End));
                    Remember(scalar.Anchor, node);
                    return node;
                case SequenceStart start:
                {
                    if (start.Style == SequenceStyle.Flow) _flow.Push(('[', ToMark(start.Start), ToMark(start.End)));
                    _parser.MoveNext();
                    Tag(start.Tag, start);
                    var items = new List<YNode>();
                    while (_parser.Current is not SequenceEnd)
                    {
                        if (_parser.Current is null) throw new YamlException("unexpected end of the YAML stream");
                        items.Add(ReadNode(depth + 1));
                    }
                    var end = _parser.Current;
                    if (start.Style == SequenceStyle.Flow) _flow.Pop();
                    _parser.MoveNext();
                    return Done(new YSequence(items, ToMark(start.Start), EndOf(end, start.Style == SequenceStyle.Flow)), start.Anchor);
                }
                case MappingStart start:
                {
                    if (start.Style == MappingStyle.Flow) _flow.Push(('{', ToMark(start.Start), ToMark(start.End)));
                    _parser.MoveNext();
                    Tag(start.Tag, start);
                    var raw = new List<(YNode Key, YNode Value)>();
                    TextMark endMark = ToMark(start.End);
                    while (true)
                    {
                        if (_parser.Current is MappingEnd mappingEnd)
                        {
                            endMark = EndOf(mappingEnd, start.Style == MappingStyle.Flow);
                            if (start.Style == MappingStyle.Flow) _flow.Pop();
                            _parser.MoveNext();
                            break;
                        }
                        if (_parser.Current is null) throw new YamlException("unexpected end of the YAML stream");
                        YNode key = ReadNode(depth + 1);
                        YNode value = ReadNode(depth + 1);
                        raw.Add((EmptyKeyAtItsColon(key, value), value));
                    }
                    if (start.Style == MappingStyle.Flow) JoinUnquotedCalls(raw);

                    var entries = new List<KeyValuePair<YScalar, YNode>>();
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    var reported = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var (key, value) in raw)
                    {
                        if (key is not YScalar scalarKey)
                        {
                            _problems.Add(new YamlProblem("key", "a key must be a plain name, not a list or a mapping", key.Start, key.End));
                            continue;
                        }
                        if (!seen.Add(scalarKey.Value))
                        {
                            // Once per key and mapping: a key repeated many times is one mistake.
                            if (reported.Add(scalarKey.Value))
                                _problems.Add(new YamlProblem("duplicate", scalarKey.Value, scalarKey.Start, scalarKey.End));
                            continue;
                        }
                        entries.Add(new KeyValuePair<YScalar, YNode>(scalarKey, value));
                    }
                    return Done(new YMapping(entries, ToMark(start.Start), endMark), start.Anchor);
                }
                default:
                    throw new YamlException(current.Start, current.End, $"unexpected {current.GetType().Name} in the YAML stream");
            }
        }

        /// <summary>
        /// In a { ... } row, <c>weight_init: normal(0, 0.01)</c> unquoted is read as the value
        /// <c>normal(0</c> and a key <c>0.01)</c>: the comma ends the value. The pieces are joined
        /// back into the value the author wrote, and the mistake is reported once, saying to quote it.
        /// </summary>
        private void JoinUnquotedCalls(List<(YNode Key, YNode Value)> raw)
        {
            for (int i = 0; i < raw.Count; i++)
            {
                if (raw[i].Value is not YScalar { IsPlain: true } value || Balance(value.Value) <= 0) continue;
                string text = value.Value;
                int balance = Balance(text), last = i;
                while (balance > 0 && last + 1 < raw.Count && raw[last + 1].Key is YScalar { IsPlain: true } piece && raw[last + 1].Value is YScalar { IsNull: true })
                {
                    last++;
                    text += ", " + piece.Value;
                    balance += Balance(piece.Value);
                }
                if (last == i || balance != 0) continue;
                var end = raw[last].Key.End;
                string key = raw[i].Key is YScalar k ? k.Value : "value";
                _problems.Add(new YamlProblem("unquoted", text, value.Start, end)
                {
                    Args = new[] { key, $"quoted in a {{ ... }} row, as {key}: \"{text}\" (unquoted, its comma ends the value)", $"{text} unquoted" },
                });
                raw[i] = (raw[i].Key, new YScalar(text, false, value.Start, end));
                raw.RemoveRange(i + 1, last - i);
            }
        }

        private static int Balance(string text)
        {
            int n = 0;
            foreach (char c in text) n += c == '(' ? 1 : c == ')' ? -1 : 0;
            return n;
        }

        /// <summary>YamlDotNet gives a flow collection's closing ']' or '}' an empty span: the node ends after it.</summary>
        private static TextMark EndOf(ParsingEvent end, bool flow)
        {
            var mark = ToMark(end.End);
            return flow && end.Start.Index == end.End.Index ? new TextMark(mark.Index + 1, mark.Line, mark.Column + 1) : mark;
        }

        private int _aliasNodes;
        private bool _aliasBudgetReported;

        /// <summary>A copy of <paramref name="node"/> with every span at the alias; null past the expansion budget (nested aliases grow exponentially).</summary>
        private YNode? Copy(YNode node, TextMark start, TextMark end)
        {
            if (++_aliasNodes > MaxAliasNodes) return null;
            switch (node)
            {
                case YScalar s:
                    return new YScalar(s.Value, s.IsPlain, start, end);
                case YSequence seq:
                {
                    var items = new List<YNode>(seq.Items.Count);
                    foreach (var item in seq.Items)
                    {
                        var c = Copy(item, start, end);
                        if (c is null) return null;
                        items.Add(c);
                    }
                    return new YSequence(items, start, end);
                }
                case YMapping map:
                {
                    var entries = new List<KeyValuePair<YScalar, YNode>>(map.Entries.Count);
                    foreach (var e in map.Entries)
                    {
                        var value = Copy(e.Value, start, end);
                        if (value is null || ++_aliasNodes > MaxAliasNodes) return null;
                        entries.Add(new KeyValuePair<YScalar, YNode>(new YScalar(e.Key.Value, e.Key.IsPlain, start, end), value));
                    }
                    return new YMapping(entries, start, end);
                }
                default:
                    return null;
            }
        }

        /// <summary>A spec's values mean what their key says; a tag (!!str, !!binary, !custom) would change that silently.</summary>
        private void Tag(YamlDotNet.Core.TagName tag, ParsingEvent at)
        {
            if (tag.IsEmpty || (tag.IsNonSpecific && tag.Value != "!")) return;
            string written = tag.Value.StartsWith("tag:yaml.org,2002:", StringComparison.Ordinal) ? "!!" + tag.Value.Substring("tag:yaml.org,2002:".Length) : tag.Value;
            _problems.Add(new YamlProblem("tag",
                $"the YAML tag '{written}' is not used in a spec: remove it (each key says what its value is; quote a value to make it text)",
                ToMark(at.Start), ToMark(at.End)));
        }

        private YNode Done(YNode node, YamlDotNet.Core.AnchorName anchor) { Remember(anchor, node); return node; }

        private void Remember(YamlDotNet.Core.AnchorName anchor, YNode node)
        {
            if (!anchor.IsEmpty) _anchors[anchor.Value] = node;
        }

        private void SkipNode()
        {
            int level = 0;
            do
            {
                var e = _parser.Current;
                if (e is null) return;
                level += e.NestingIncrease;
                _parser.MoveNext();
            } while (level > 0);
        }
    }
}
