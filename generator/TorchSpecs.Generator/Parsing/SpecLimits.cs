using System.Globalization;

namespace TorchSpecs.Generator.Parsing;

/// <summary>
/// The limits a spec must stay within so that what the generator accepts compiles and runs:
/// sizes of the file and its texts, lengths of names, and numbers that must fit what the
/// generated code stores them in. Each check returns the problem in words (the "it must be"
/// part of a TS0007 or TS0009 message) or null; the readers call them for their keys.
/// </summary>
internal static class SpecLimits
{
    /// <summary>The most rows a table may have. The largest real spec has 60.</summary>
    public const int MaxRows = 2000;

    /// <summary>
    /// The longest <c>description</c> or <c>source</c>. They become a string literal and an XML doc
    /// comment in the generated class, and all string literals of an assembly share a 16 MB heap:
    /// a 10 MB description broke the compile of every model of the project (CS8103).
    /// </summary>
    public const int MaxTextLength = 10_000;

    /// <summary>
    /// The longest model, layer or namespace name. Names become metadata (at most 1,023 bytes,
    /// CS7013) and, together, the generated file's name <c>{namespace}.{model}.g.cs</c>, which must
    /// fit a file system's 255-byte file names.
    /// </summary>
    public const int MaxNameLength = 100;

    /// <summary>The largest finite float32: values of a spec become float32 tensors.</summary>
    public const double MaxFloat = float.MaxValue;

    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A number that does not fit a float32 (the weights' type), or null. Callable per key.</summary>
    public static string? Float32Problem(double value) =>
        double.IsNaN(value) || double.IsInfinity(value) || Math.Abs(value) > MaxFloat
            ? $"a finite number that fits a 32-bit float (at most {MaxFloat.ToString("R", CultureInfo.InvariantCulture)} in size)"
            : null;

    /// <summary>
    /// normal(mean, std) and truncated_normal(mean, std): every number the generated code passes
    /// (truncated_normal also mean ± 2 std, its cut-off) must be a finite float32.
    /// </summary>
    public static string? InitArgumentsProblem(double mean, double std, bool truncated)
    {
        var numbers = truncated ? new[] { mean, std, mean - 2 * std, mean + 2 * std } : new[] { mean, std };
        return numbers.Any(n => Float32Problem(n) is not null)
            ? $"a mean and std that fit a 32-bit float{(truncated ? ", with mean ± 2·std too (the cut-off)" : "")}"
            : null;
    }

    /// <summary>A name too long for metadata and file names, or null.</summary>
    public static string? NameLengthProblem(string name) =>
        name.Length > MaxNameLength
            ? $"it is {Count(name.Length)} characters long; a name may have at most {MaxNameLength}"
            : null;

    /// <summary>
    /// A type name of lower-case ASCII letters only is reserved for future C# keywords (CS8981, an
    /// error under TreatWarningsAsErrors): <c>model: predict</c> is refused with its PascalCase form.
    /// </summary>
    public static string? LowerCaseTypeNameProblem(string name) =>
        name.Length > 0 && name.All(c => c is >= 'a' and <= 'z')
            ? $"C# reserves type names of lower-case letters only for future keywords (CS8981); write it in PascalCase: {char.ToUpperInvariant(name[0])}{name.Substring(1)}"
            : null;

    /// <summary>
    /// A layer name is the module's key in the state dict: '.' separates module paths there
    /// (<c>conv.1.weight</c> would be the weight of a child 1 of conv), and TorchSharp rejects it.
    /// </summary>
    public static string? LayerNameProblem(string name)
    {
        if (name.IndexOf('.') >= 0)
            return $"a '.' separates module paths in a state dict, so it cannot be in a layer name; write {name.Replace('.', '_')} (a PyTorch module path such as features.0 goes in torch_name)";
        return NameLengthProblem(name);
    }

    /// <summary>The description or source text, when it is too long for the generated class.</summary>
    public static string? TextLengthProblem(string key, string text) =>
        text.Length > MaxTextLength
            ? $"'{key}' holds {Count(text.Length)} characters; a spec's description and source may hold at most {Count(MaxTextLength)} (they go into the generated class): shorten it, and keep longer notes in a comment or a file beside the spec"
            : null;

    /// <summary>
    /// An input written channels-first (PyTorch's CxHxW, e.g. 3x32x32) rather than HxWxC: a few
    /// "rows" and as many channels as columns. Still a valid size, so a warning.
    /// </summary>
    public static string? ChannelsFirstProblem(long h, long w, long c) =>
        h <= 4 && w == c && w >= 8
            ? $"input {h}x{w}x{c} is {h} high, {w} wide with {c} channels; input is HxWxC (height x width x channels): a {w}x{c} image with {h} channel{(h == 1 ? "" : "s")} is input: {w}x{c}x{h}"
            : null;
}
