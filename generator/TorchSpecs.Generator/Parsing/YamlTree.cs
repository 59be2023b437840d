using System;
using System.Collections.Generic;
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
internal sealed record YamlProblem(string Kind, string Message, TextMark Start, TextMark End);

/// <summary>
/// Reads YAML text into <see cref="YNode"/>s with exact spans, using YamlDotNet's event
/// parser. Duplicate keys, aliases, several documents and too deep nesting are reported,
/// not thrown; YamlDotNet's own syntax errors come back as a problem at their mark.
/// </summary>
internal static class YamlTree
{
    public const int MaxDepth = 32;

    public static YNode? Read(string text, List<YamlProblem> problems)
    {
        var scanner = new Scanner(new StringReader(text), skipComments: true);
        var reader = new Reader(new Parser(scanner), problems);
        try
        {
            return reader.ReadStream();
        }
        catch (YamlException e)
        {
            problems.Add(new YamlProblem("syntax", Clean(e.Message), ToMark(e.Start), ToMark(e.End)));
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
                    $"this '{o.Bracket}' is not closed before line {at.Line + 1}; end it with '{(o.Bracket == '{' ? '}' : ']')}'", o.Start, o.End));
            else
                problems.Add(new YamlProblem("syntax", "the YAML cannot be read from here on (an unexpected character or line break in a value)", at, at));
            return null;
        }
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
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 40) - (Line: ...): " which the location already says.
        int at = message.IndexOf("): ", StringComparison.Ordinal);
        return at >= 0 && message.StartsWith("(", StringComparison.Ordinal) ? message.Substring(at + 3) : message;
    }

    private sealed class Reader
    {
        private readonly IParser _parser;
        private readonly List<YamlProblem> _problems;
        private readonly Dictionary<string, YNode> _anchors = new();
        private readonly Stack<(char Bracket, TextMark Start, TextMark End)> _flow = new();

        /// <summary>The innermost '{' or '[' being read, when the scanner gives up inside one.</summary>
        public (char Bracket, TextMark Start, TextMark End)? OpenFlow => _flow.Count > 0 ? _flow.Peek() : null;

        public Reader(IParser parser, List<YamlProblem> problems) { _parser = parser; _problems = problems; }

        public YNode? ReadStream()
        {
            _parser.Consume<StreamStart>();
            if (_parser.TryConsume<StreamEnd>(out _)) return null;
            _parser.Consume<DocumentStart>();
            YNode root = ReadNode(0);
            _parser.Consume<DocumentEnd>();
            if (_parser.Accept<DocumentStart>(out var second))
            {
                _problems.Add(new YamlProblem("syntax", "the file holds more than one YAML document ('---'); a spec is one document",
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
                    _parser.MoveNext();
                    if (_anchors.TryGetValue(alias.Value.Value, out var target)) return target;
                    throw new YamlException(alias.Start, alias.End, $"the alias *{alias.Value.Value} names no anchor defined before it");
                case Scalar scalar:
                    _parser.MoveNext();
                    var node = new YScalar(scalar.Value, scalar.Style == ScalarStyle.Plain, ToMark(scalar.Start), ToMark(scalar.End));
                    Remember(scalar.Anchor, node);
                    return node;
                case SequenceStart start:
                {
                    if (start.Style == SequenceStyle.Flow) _flow.Push(('[', ToMark(start.Start), ToMark(start.End)));
                    _parser.MoveNext();
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
                    var entries = new List<KeyValuePair<YScalar, YNode>>();
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    var reported = new HashSet<string>(StringComparer.Ordinal);
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
                        var keyEvent = _parser.Current ?? throw new YamlException("unexpected end of the YAML stream");
                        YNode key = ReadNode(depth + 1);
                        YNode value = ReadNode(depth + 1);
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

        /// <summary>YamlDotNet gives a flow collection's closing ']' or '}' an empty span: the node ends after it.</summary>
        private static TextMark EndOf(ParsingEvent end, bool flow)
        {
            var mark = ToMark(end.End);
            return flow && end.Start.Index == end.End.Index ? new TextMark(mark.Index + 1, mark.Line, mark.Column + 1) : mark;
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
