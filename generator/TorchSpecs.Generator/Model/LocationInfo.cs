using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace TorchSpecs.Generator.Model;

/// <summary>
/// A place in a spec file, kept as plain data (never a SyntaxTree or a YAML node) so that
/// pipeline values stay equatable. Lines and columns are zero-based, as in Roslyn.
/// </summary>
internal sealed record LocationInfo(string FilePath, int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn)
{
    public Location ToLocation()
    {
        // Roslyn throws on a negative position or an end before the start; a YAML parser's mark
        // on broken input can be either, and a throw here would drop every model (CS8785).
        var start = new LinePosition(Math.Max(0, StartLine), Math.Max(0, StartColumn));
        var end = new LinePosition(Math.Max(0, EndLine), Math.Max(0, EndColumn));
        if (end < start) end = start;
        return Location.Create(FilePath, new TextSpan(Math.Max(0, Start), Math.Min(int.MaxValue - Math.Max(0, Start), Math.Max(0, Length))), new LinePositionSpan(start, end));
    }

    /// <summary>The whole first line of a file: for problems that belong to the file itself.</summary>
    public static LocationInfo FileStart(string path) => new(path, 0, 0, 0, 0, 0, 0);
}
