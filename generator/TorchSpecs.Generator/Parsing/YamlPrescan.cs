
namespace TorchSpecs.Generator.Parsing;

/// <summary>
/// One linear pass over a spec's text before YamlDotNet sees it. It finds what YamlDotNet
/// reports at the wrong place or far too slowly: a tab in the indentation (YamlDotNet points at
/// the line above, or at 1:1), nesting far deeper than a spec needs (YamlDotNet's scanner is
/// quadratic in the depth: 100,000 levels took minutes), and a file larger than any spec.
/// It also gives line breaks one meaning: CR, LF and CRLF, as editors count lines.
/// </summary>
internal static class YamlPrescan
{
    /// <summary>The largest spec file, in characters. The largest real spec is about 6,000.</summary>
    public const int MaxChars = 1_000_000;

    /// <summary>
    /// The text YamlDotNet reads: a lone CR becomes LF, and NEL, LS and PS (line breaks in
    /// YAML 1.1, ordinary characters in YAML 1.2 and to editors) become spaces. The length is
    /// kept, so every index still points into the original text.
    /// </summary>
    public static string Normalize(string text)
    {
        int i = 0;
        while (i < text.Length && !NeedsChange(text, i)) i++;
        if (i == text.Length) return text;
        var chars = text.ToCharArray();
        for (; i < chars.Length; i++)
        {
            if (!NeedsChange(text, i)) continue;
            chars[i] = text[i] == '\r' ? '\n' : ' ';
        }
        return new string(chars);
    }

    private static bool NeedsChange(string text, int i) =>
        text[i] switch
        {
            '\r' => i + 1 >= text.Length || text[i + 1] != '\n',
            '\u0085' or '\u2028' or '\u2029' => true,
            _ => false,
        };

    /// <summary>Where the text ends, counting lines as <see cref="Normalize"/> does.</summary>
    public static TextMark EndOf(string text)
    {
        int line = 0, lineStart = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '\n' || (text[i] == '\r' && (i + 1 >= text.Length || text[i + 1] != '\n')))
            {
                line++;
                lineStart = i + 1;
            }
        }
        return new TextMark(text.Length, line, text.Length - lineStart);
    }

    /// <summary>
    /// The first problem that keeps <paramref name="text"/> (already normalized) from being read, or
    /// null. Nesting is estimated from indentation, '- ' indicators and brackets, which can only
    /// overcount the real depth by a level or two: <paramref name="maxDepth"/> plus a margin is
    /// rejected here, the exact limit by the reader.
    /// </summary>
    public static YamlProblem? Check(string text, int maxDepth)
    {
        if (text.Length > MaxChars)
        {
            var start = new TextMark(0, 0, 0);
            return new YamlProblem("size",
                $"the file holds {text.Length.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} characters; a spec may hold at most {MaxChars.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)}", start, start);
        }

        int limit = maxDepth + 3;
        var indents = new Stack<int>();
        int flow = 0;
        int line = 0;
        int blockScalarIndent = -1; // the indentation of the line that opened a | or > scalar
        int i = 0;
        while (i < text.Length)
        {
            int lineStart = i;
            int lineEnd = text.IndexOf('\n', i);
            if (lineEnd < 0) lineEnd = text.Length;

            // Leading whitespace: spaces, and where a tab is, stop.
            int p = i;
            while (p < lineEnd && text[p] == ' ') p++;
            int indent = p - lineStart;
            int content = p;
            while (content < lineEnd && (text[content] == ' ' || text[content] == '\t' || text[content] == '\r')) content++;
            bool blank = content >= lineEnd || text[content] == '#';

            if (blockScalarIndent >= 0)
            {
                // Inside a block scalar every more indented line (and every blank one) is text.
                if (blank || indent > blockScalarIndent) { Next(); continue; }
                blockScalarIndent = -1;
            }

            // A tab in the leading whitespace: YamlDotNet refuses it before content, before a comment
            // and on most blank lines, and then points at 1:1 or at a later line.
            if (flow == 0 && p < lineEnd && text[p] == '\t')
            {
                var at = new TextMark(p, line, p - lineStart);
                return new YamlProblem("tab",
                    $"line {line + 1} is indented with a tab; YAML indents with spaces only: replace the tab with spaces", at, new TextMark(p + 1, line, p - lineStart + 1));
            }

            if (!blank)
            {
                int depth;
                if (flow == 0)
                {
                    while (indents.Count > 0 && indents.Peek() > indent) indents.Pop();
                    if (indents.Count == 0 || indents.Peek() < indent) indents.Push(indent);
                    depth = indents.Count;
                }
                else depth = indents.Count;

                bool quoted = false;
                char quote = '\0';
                int j = content;
                // '- ' indicators at the start of a line each open a level.
                while (flow == 0 && j < lineEnd && text[j] == '-' && (j + 1 >= lineEnd || text[j + 1] is ' ' or '\t' or '\r'))
                {
                    depth++;
                    if (depth > limit) return Deep(j);
                    j++;
                    while (j < lineEnd && text[j] is ' ' or '\t') j++;
                }
                for (; j < lineEnd; j++)
                {
                    char c = text[j];
                    if (quoted)
                    {
                        if (c == quote)
                        {
                            if (quote == '\'' && j + 1 < lineEnd && text[j + 1] == '\'') { j++; continue; }
                            quoted = false;
                        }
                        else if (c == '\\' && quote == '"') j++;
                        continue;
                    }
                    if (c == '#' && (j == 0 || text[j - 1] is ' ' or '\t')) break;
                    if ((c == '\'' || c == '"') && (j == content || text[j - 1] is ' ' or '\t' or '{' or '[' or ',' or ':'))
                    {
                        quoted = true;
                        quote = c;
                        continue;
                    }
                    if (c is '[' or '{')
                    {
                        flow++;
                        if (depth + flow > limit) return Deep(j);
                    }
                    else if (c is ']' or '}')
                    {
                        if (flow > 0) flow--;
                    }
                }
                if (depth + flow > limit) return Deep(content);
                if (!quoted && flow == 0 && OpensBlockScalar(text, content, lineEnd)) blockScalarIndent = indent;
            }
            Next();

            void Next()
            {
                i = lineEnd + 1;
                line++;
            }

            YamlProblem Deep(int at)
            {
                var mark = new TextMark(at, line, at - lineStart);
                return new YamlProblem("depth", $"the YAML nests deeper than {maxDepth} levels", mark, new TextMark(at + 1, line, at - lineStart + 1));
            }
        }
        return null;
    }

    /// <summary>The line's value (after its last ': ' or '- ') is '|' or '>' with optional indicators and a comment.</summary>
    private static bool OpensBlockScalar(string text, int start, int end)
    {
        int j = end - 1;
        while (j >= start && text[j] is ' ' or '\t' or '\r') j--;
        int comment = -1;
        for (int k = start; k <= j; k++)
            if (text[k] == '#' && k > start && text[k - 1] is ' ' or '\t') { comment = k; break; }
        if (comment >= 0)
        {
            j = comment - 1;
            while (j >= start && text[j] is ' ' or '\t') j--;
        }
        while (j >= start && (text[j] is '+' or '-' || char.IsDigit(text[j]))) j--;
        if (j < start || text[j] is not ('|' or '>')) return false;
        return j == start || text[j - 1] is ' ' or '\t';
    }
}
