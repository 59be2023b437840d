using System.Globalization;

namespace TorchSpecs.Generator.Kinds;

/// <summary>The form a row key's value takes.</summary>
internal enum KeyType
{
    /// <summary>A whole number.</summary>
    Integer,
    /// <summary>A number (read as a double, held to what a float32 can hold unless said otherwise).</summary>
    Number,
    /// <summary>true or false.</summary>
    Boolean,
    /// <summary><c>k</c> or <c>[kh, kw]</c>.</summary>
    Pair,
    /// <summary><c>HxW</c>, <c>n</c> or <c>[h, w]</c>.</summary>
    Size,
    /// <summary><c>p</c>, <c>[ph, pw]</c>, <c>[top, bottom, left, right]</c>, <c>same</c> or <c>valid</c>.</summary>
    Padding,
    /// <summary>One of <see cref="KeyDefinition.Choices"/>.</summary>
    Choice,
    /// <summary>An initializer: <c>normal(mean, std)</c>, <c>he</c>, ...</summary>
    Initializer,
    /// <summary><c>HxWxC</c> or <c>N</c>.</summary>
    Shape,
    /// <summary>Free text.</summary>
    Text,
}

/// <summary>
/// The values a number may take: a closed or open interval, and the words a diagnostic uses
/// for it ("a positive whole number"). Part of a key's definition, so the reader, the docs and
/// the JSON Schema agree.
/// </summary>
internal sealed record ValueRange(double? Min, bool MinInclusive, double? Max, bool MaxInclusive, string Text)
{
    public static readonly ValueRange Positive = new(0, false, null, false, "a positive whole number");
    public static readonly ValueRange NonNegative = new(0, true, null, false, "zero or more");
    public static readonly ValueRange PositiveNumber = new(0, false, null, false, "a positive number");

    public bool Contains(double value) =>
        (Min is not double min || (MinInclusive ? value >= min : value > min)) &&
        (Max is not double max || (MaxInclusive ? value <= max : value < max));
}

/// <summary>
/// One key of a layer row: its name, the form of its value, whether it is required, its default
/// (as the docs write it), its range, a description and an example. The kinds' definitions
/// (<see cref="LayerDefinition"/>) list these; the reader checks values against them.
/// </summary>
internal sealed record KeyDefinition(string Name, KeyType Type, string Description, string Example)
{
    public bool Required { get; init; }
    /// <summary>The default when the key is left out, in the spec's notation (null: none, or it depends on other keys).</summary>
    public string? Default { get; init; }
    /// <summary>The allowed values of a number (of each number, for pairs and paddings).</summary>
    public ValueRange? Range { get; init; }
    /// <summary>The allowed words of a <see cref="KeyType.Choice"/> key (and the words a padding or an initializer may be).</summary>
    public EquatableArray<string> Choices { get; init; } = EquatableArray<string>.Empty;
    /// <summary>Further words the reader accepts as one of <see cref="Choices"/> (linear for none); not offered, still valid.</summary>
    public EquatableArray<string> Synonyms { get; init; } = EquatableArray<string>.Empty;
    /// <summary>
    /// The text form as a regular expression (the syntax both .NET and JSON Schema's ECMA-262 read):
    /// all a <see cref="KeyType.Text"/> value may be, or the function forms of an
    /// <see cref="KeyType.Initializer"/> besides its <see cref="Choices"/>. The reader checks the same
    /// rule in code; the JSON Schema carries this, and the schema agreement test proves the two agree.
    /// </summary>
    public string? Pattern { get; init; }
    /// <summary>
    /// Keys of one kind with the same group are alternatives: a row gives exactly one of them
    /// (lrn: size or depth_radius). None of them is <see cref="Required"/> on its own.
    /// </summary>
    public string? OneOf { get; init; }
    /// <summary>What a "missing key" diagnostic says the key is, e.g. "the kernel size, e.g. kernel: 3".</summary>
    public string Help { get; init; } = "";
}

/// <summary>Keys several kinds share; a kind takes them as they are or adapts one with <c>with</c>.</summary>
internal static class Keys
{
    private const string UnsignedNumber = @"([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?";
    private const string SignedNumber = "[-+]?" + UnsignedNumber;

    public static readonly EquatableArray<string> ActivationNames = new[] { "relu", "tanh", "sigmoid", "softmax", "none" }.ToEquatableArray();

    public static readonly KeyDefinition Name = new("name", KeyType.Text,
        "The layer's name, unique in the model: its state_dict key and, in PascalCase, its property. Omitted: the kind's prefix and the row's number among rows of its type", "conv1")
    { Pattern = @"^[_ \-]*[A-Za-z][A-Za-z0-9_ \-]*$" };
    public static readonly KeyDefinition Type = new("type", KeyType.Choice, "The layer type", "conv") { Required = true };
    public static readonly KeyDefinition Output = new("output", KeyType.Shape,
        "The documented output size, HxWxC for feature maps and N once flat; checked against the inferred shape", "55x55x96");
    public static readonly KeyDefinition TorchName = new("torch_name", KeyType.Text,
        "The row's module path in a PyTorch state_dict, unique in the model", "features.0")
    { Pattern = @"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$" };

    /// <summary>The keys of every row, whatever its type.</summary>
    public static readonly EquatableArray<KeyDefinition> Common = new[] { Name, Type, Output, TorchName }.ToEquatableArray();

    public static readonly KeyDefinition Kernel = new("kernel", KeyType.Pair, "The window size, k or [kh, kw]", "3")
    { Required = true, Range = ValueRange.Positive, Help = "the kernel size, e.g. kernel: 3" };
    public static readonly KeyDefinition Stride = new("stride", KeyType.Pair, "The step of the window, s or [sh, sw]", "2")
    { Default = "1", Range = ValueRange.Positive };
    public static readonly KeyDefinition Padding = new("padding", KeyType.Padding,
        "p, [ph, pw], [top, bottom, left, right], same or valid (Keras' meaning of both)", "1")
    { Default = "0", Range = ValueRange.NonNegative, Choices = new[] { "same", "valid" }.ToEquatableArray() };
    public static readonly KeyDefinition Dilation = new("dilation", KeyType.Pair, "The spacing of the window's taps, d or [dh, dw]", "1")
    { Default = "1", Range = ValueRange.Positive };
    public static readonly KeyDefinition Ceil = new("ceil", KeyType.Boolean, "Ceil-mode output sizes (Caffe)", "true") { Default = "false" };

    public static readonly KeyDefinition Activation = new("activation", KeyType.Choice,
        "The activation applied after the layer", "relu") { Default = "none", Choices = ActivationNames, Synonyms = new[] { "linear" }.ToEquatableArray() };
    public static readonly KeyDefinition WeightInit = new("weight_init", KeyType.Initializer,
        "normal(mean, std), truncated_normal(mean, std), he, glorot, zeros or default (TorchSharp's own)", "\"normal(0, 0.01)\"")
    {
        Default = "default",
        Choices = new[] { "default", "he", "glorot", "zeros" }.ToEquatableArray(),
        Pattern = @"^ *(normal|truncated_normal) *\( *" + SignedNumber + @" *, *\+?(?=[0-9.]*[1-9])" + UnsignedNumber + @" *\) *$",
    };
    public static readonly KeyDefinition BiasInit = new("bias_init", KeyType.Number,
        "A constant the bias starts at (0 once a weight_init is given)", "1");
    public static readonly KeyDefinition Bias = new("bias", KeyType.Boolean, "false for a layer without bias", "false") { Default = "true" };

    /// <summary>Target size of resize and adaptive pooling.</summary>
    public static readonly KeyDefinition TargetSize = new("size", KeyType.Size, "The target size HxW (or n, or [h, w])", "6x6")
    { Required = true, Range = ValueRange.Positive, Help = "the target size as HxW, e.g. size: 6x6" };

    /// <summary>The keys of the spec itself (its top-level mapping), in the order the docs list them.</summary>
    public static readonly EquatableArray<KeyDefinition> Spec = new[]
    {
        new KeyDefinition("model", KeyType.Text, "The C# class name of the generated module: a PascalCase identifier, unique in the build", "AlexNet") { Required = true },
        new KeyDefinition("description", KeyType.Text, "Free text, carried into the generated XML docs and summaries", "AlexNet as built in Keras"),
        new KeyDefinition("source", KeyType.Text, "Where the table comes from, carried into the generated XML docs", "Krizhevsky et al. 2012, Table 1"),
        new KeyDefinition("namespace", KeyType.Text, "The C# namespace of the generated class (the project's default otherwise)", "My.Models"),
        new KeyDefinition("input", KeyType.Shape, "The input size HxWxC", "227x227x3") { Required = true, Help = "the input size as HxWxC, e.g. input: 227x227x3" },
        new KeyDefinition("defaults", KeyType.Text, "Row keys applied to every row whose type takes them and that does not set them", "{ weight_init: he }"),
        new KeyDefinition("layers", KeyType.Text, "The layer rows in order; in a spec with base:, the changes to the base's table", "- { name: conv1, type: conv, kernel: 3, filters: 64 }")
        { Required = true, Help = "the list of layer rows, one - { name: conv1, type: conv, ... } per line" },
        new KeyDefinition("base", KeyType.Text, "The model whose table this spec starts from", "Vgg11"),
        new KeyDefinition("batchnorm", KeyType.Choice, "A batch norm row after every conv row", "after_conv")
        { Choices = new[] { "after_conv", "after_activation" }.ToEquatableArray() },
    }.ToEquatableArray();

    internal static string Num(double value) => value.ToString("R", CultureInfo.InvariantCulture);
}
