using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace TorchSpecs.Generator.Model;

/// <summary>
/// A place in a spec file, kept as plain data (never a SyntaxTree or a YAML node) so that
/// pipeline values stay equatable. Lines and columns are zero-based, as in Roslyn.
/// </summary>
internal sealed record LocationInfo(string FilePath, int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn)
{
    public Location ToLocation() => Location.Create(
        FilePath,
        new TextSpan(Start, Length),
        new LinePositionSpan(new LinePosition(StartLine, StartColumn), new LinePosition(EndLine, EndColumn)));

    /// <summary>The whole first line of a file: for problems that belong to the file itself.</summary>
    public static LocationInfo FileStart(string path) => new(path, 0, 0, 0, 0, 0, 0);
}
