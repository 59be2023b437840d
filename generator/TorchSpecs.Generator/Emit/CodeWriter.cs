using System.Globalization;
using System.Text;

namespace TorchSpecs.Generator.Emit;

/// <summary>A small indented text writer for generated C#.</summary>
internal sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public CodeWriter Line(string line = "")
    {
        if (line.Length > 0) _text.Append(' ', _indent * 4).Append(line);
        _text.Append('\n');
        return this;
    }

    public CodeWriter Open(string line)
    {
        Line(line).Line("{");
        _indent++;
        return this;
    }

    public CodeWriter Close(string suffix = "")
    {
        _indent--;
        return Line("}" + suffix);
    }

    public override string ToString() => _text.ToString();

    /// <summary>A C# string literal: every character a C# string or line cannot hold as it is, escaped.</summary>
    public static string Str(string? value)
    {
        if (value is null) return "null";
        var sb = new StringBuilder("\"");
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (char.IsSurrogate(c))
            {
                // A pair is one character; a lone half is kept as an escape (it is not valid UTF-8).
                if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) sb.Append(c).Append(value[++i]);
                else sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                continue;
            }
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (NeedsEscape(c)) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>
    /// Control characters, and what C# counts as a line break (NEL U+0085, LS U+2028, PS U+2029):
    /// inside a string literal or a // comment they end the line and break the code.
    /// </summary>
    private static bool NeedsEscape(char c) => c < 32 || (c >= 0x7f && c < 0xa0) || c is '\u2028' or '\u2029';

    /// <summary>Text for an XML doc comment: escaped, one line (line breaks of any kind become spaces, control characters go).</summary>
    public static string Xml(string? value)
    {
        if (value is null) return "";
        var sb = new StringBuilder();
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (char.IsSurrogate(c))
            {
                if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) sb.Append(c).Append(value[++i]);
                continue;
            }
            switch (c)
            {
                case '<': sb.Append("&lt;"); break;
                case '>': sb.Append("&gt;"); break;
                case '&': sb.Append("&amp;"); break;
                case '\r': break;
                case '\n': case '\u0085': case '\u2028': case '\u2029': sb.Append(' '); break;
                default: if (c == '\t' || !NeedsEscape(c)) sb.Append(c); break;
            }
        }
        return sb.ToString().Trim();
    }

    /// <summary>Text for a // comment: one line, no control characters.</summary>
    public static string Comment(string value)
    {
        var sb = new StringBuilder();
        foreach (char c in value) sb.Append(NeedsEscape(c) || char.IsSurrogate(c) ? ' ' : c);
        return sb.ToString();
    }

    /// <summary>
    /// A double literal that round-trips. Never Infinity or NaN: those are not C# literals
    /// (<c>-Infinity.0</c> does not compile), and the readers reject such values at their line,
    /// so one reaching here is a bug, reported as TS0900 at the spec.
    /// </summary>
    public static string Num(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value))
            throw new System.ArgumentOutOfRangeException(nameof(value), value, "a non-finite number reached the emitter");
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains(".") || text.Contains("E") ? text : text + ".0";
    }

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture) + (value > int.MaxValue ? "L" : "");
}
