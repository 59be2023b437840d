using System.Reflection;
using GenLayerKind = TorchSpecs.Generator.Model.LayerKind;
using TorchSpecs.Generator.Parsing;

namespace TorchSpecs.Tests.Schema;

/// <summary>
/// The spec format's keys as the generator knows them, read from the parser's own tables. This is
/// the one place the schema tests learn keys and layer types from: when the layer kinds get their
/// own definitions (issue 12), this class reads those instead, and nothing else changes.
/// </summary>
internal static class ParserTables
{
    private static T Field<T>(string name) where T : class =>
        typeof(SpecParser).GetField(name, BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static)?.GetValue(null) as T
        ?? throw new InvalidOperationException($"SpecParser.{name} ({typeof(T).Name}) is gone: point ParserTables at the table that replaced it");

    /// <summary>Top-level keys of a spec.</summary>
    public static IReadOnlyList<string> TopLevelKeys => Field<string[]>("TopLevelKeys");

    /// <summary>The layer types as written in <c>type:</c>, each with its kind (the layer-kind definitions).</summary>
    public static IReadOnlyDictionary<string, GenLayerKind> LayerTypes =>
        TorchSpecs.Generator.Kinds.LayerDefinitions.All.ToDictionary(d => d.TypeName, d => d.Kind);

    /// <summary>Keys every row takes (name, type, output, torch_name).</summary>
    public static IReadOnlyList<string> CommonRowKeys => TorchSpecs.Generator.Kinds.Keys.Common.Select(k => k.Name).ToList();

    /// <summary>The keys each kind takes besides the common ones.</summary>
    public static IReadOnlyDictionary<GenLayerKind, string[]> RowKeys =>
        TorchSpecs.Generator.Kinds.LayerDefinitions.All.ToDictionary(d => d.Kind, d => d.Keys.Select(k => k.Name).ToArray());

    /// <summary>The keys of a derived spec's rows that edit the base table (after, before, remove).</summary>
    public static IReadOnlyList<string> EditKeys => Field<string[]>("EditKeys");

    /// <summary>The values of the top-level <c>batchnorm:</c> rule.</summary>
    public static IReadOnlyList<string> BatchNormModes => Field<string[]>("BatchNormModes");

    public static IReadOnlyList<string> KeysOf(string type) => CommonRowKeys.Concat(RowKeys[LayerTypes[type]]).ToList();
}

/// <summary>The form of a value, as the parser reads it (SpecParser's value readers).</summary>
internal enum ValueForm
{
    /// <summary>A row name: text whose PascalCase form is a C# identifier.</summary>
    Name,
    /// <summary>A layer type of <see cref="ParserTables.LayerTypes"/>.</summary>
    LayerType,
    /// <summary>HxWxC, or N once flat (output).</summary>
    Output,
    /// <summary>HxWxC (input).</summary>
    MapShape,
    /// <summary>A dotted PyTorch module path (torch_name).</summary>
    TorchName,
    /// <summary>k or [kh, kw], positive whole numbers.</summary>
    Pair,
    /// <summary>HxW, n or [h, w] (the target size of resize and adaptive_avgpool).</summary>
    Size,
    PositiveInt,
    NonNegativeInt,
    /// <summary>p, [ph, pw], [top, bottom, left, right], same or valid.</summary>
    Padding,
    /// <summary>p, [ph, pw] or [top, bottom, left, right] (zeropad).</summary>
    ExplicitPadding,
    Activation,
    WeightInit,
    Number,
    PositiveNumber,
    /// <summary>At least 0 and below 1 (dropout rate).</summary>
    Rate,
    /// <summary>Between 0 and 1 (batch norm momentum).</summary>
    Fraction,
    Boolean,
    /// <summary>Free text (or nothing).</summary>
    Text,
    /// <summary>A C# class name.</summary>
    ModelName,
    /// <summary>Dotted C# identifiers.</summary>
    Namespace,
    /// <summary>after_conv or after_activation.</summary>
    BatchNormRule,
    /// <summary>A mapping of row keys (defaults).</summary>
    Defaults,
    /// <summary>The list of rows (layers).</summary>
    Layers,
}

/// <summary>One key of one layer type: its value form, whether it is required, and what it means.</summary>
internal sealed record KeySpec(string Key, ValueForm Form, bool Required, string Description, params object[] Examples);

/// <summary>
/// What the parser's tables do not hold as data (it is code in SpecParser.ReadLayer): each key's
/// value form, required keys, and the documentation the schema carries. The schema tests prove
/// this against the parser, value by value (<see cref="SchemaAgreementTests"/>).
/// </summary>
internal static class SpecFormat
{
    public static readonly KeySpec NameKey = new("name", ValueForm.Name, false,
        "The layer's name, unique in the model: its key in the state dict (conv1.weight) and, in PascalCase, its generated property (conv1 → Conv1). Without it, the row is named after its type and position (conv1, pool2, fc3...).", "conv1", "block1_conv2");
    public static readonly KeySpec TypeKey = new("type", ValueForm.LayerType, true,
        "The layer type; it decides which keys the row takes.", "conv", "maxpool", "dense");
    public static readonly KeySpec OutputKey = new("output", ValueForm.Output, false,
        "The documented output size, checked against the inferred shape at build time: HxWxC for a feature map, N once flat (after flatten or dense). Without it, the row's output is inferred and not checked.", "55x55x96", 4096);
    public static readonly KeySpec TorchNameKey = new("torch_name", ValueForm.TorchName, false,
        "The row's module path in a PyTorch state_dict, so that torchvision's weights load into it (features.0.weight → conv1.weight).", "features.0", "classifier.1");

    private static KeySpec Kernel(string what) => new("kernel", ValueForm.Pair, true, $"The {what} size: k, or [kh, kw].", 3, new[] { 3, 5 });
    private static readonly KeySpec PoolStride = new("stride", ValueForm.Pair, false, "The stride: s or [sh, sw]; default: the kernel.", 2, new[] { 2, 1 });
    private static readonly KeySpec Padding = new("padding", ValueForm.Padding, false,
        "The padding: p (every side), [ph, pw] (top/bottom, left/right), [top, bottom, left, right], or same / valid (Keras' meaning: same gives ceil(n / stride), the odd row or column at the bottom/right). Default 0.", 1, "same", new[] { 0, 1, 0, 1 });
    private static readonly KeySpec Ceil = new("ceil", ValueForm.Boolean, false, "true for ceil-mode output sizes (PyTorch's ceil_mode, as Caffe's AlexNet). Default false.", true);
    private static readonly KeySpec Activation = new("activation", ValueForm.Activation, false,
        "The activation applied after the layer: relu, tanh, sigmoid, softmax, or none (linear is the same as none). A softmax on the last row is kept in the table, while forward returns the logits. Default none.", "relu", "softmax");
    private static readonly KeySpec WeightInit = new("weight_init", ValueForm.WeightInit, false,
        "The weight initializer: normal(mean, std), truncated_normal(mean, std) (redrawn beyond two standard deviations), he (Kaiming normal), glorot (Xavier uniform), zeros, or default (TorchSharp's). In a flow mapping { ... } quote it: \"normal(0, 0.01)\".", "normal(0, 0.01)", "he");
    private static readonly KeySpec BiasInit = new("bias_init", ValueForm.Number, false, "A constant the bias starts at (0 once the row has a weight_init, unless this says otherwise).", 0, 1);
    private static readonly KeySpec Bias = new("bias", ValueForm.Boolean, false, "false for a layer without bias. Default true.", false);
    private static readonly KeySpec Dilation = new("dilation", ValueForm.Pair, false, "The dilation: d or [dh, dw]. Default 1.", 2);
    private static readonly KeySpec TargetSize = new("size", ValueForm.Size, true, "The target size: HxW, n (n x n) or [h, w].", "6x6", 7);

    /// <summary>Each layer type's keys besides the common ones, in the parser's order (<see cref="ParserTables.RowKeys"/>).</summary>
    public static readonly IReadOnlyDictionary<string, (string Description, KeySpec[] Keys)> Types = new Dictionary<string, (string, KeySpec[])>
    {
        ["conv"] = ("A 2-D convolution (Conv2d).", new[]
        {
            Kernel("kernel"),
            new KeySpec("filters", ValueForm.PositiveInt, true, "The number of output channels.", 64, 96),
            new KeySpec("stride", ValueForm.Pair, false, "The stride: s or [sh, sw]. Default 1.", 4, new[] { 2, 2 }),
            Padding,
            new KeySpec("groups", ValueForm.PositiveInt, false, "Grouped convolution: must divide the input channels and the filters (the original two-GPU AlexNet uses 2). Default 1.", 2),
            Dilation, Activation, WeightInit, BiasInit, Bias,
        }),
        ["maxpool"] = ("Max pooling (MaxPool2d).", new[] { Kernel("pool"), PoolStride, Padding, Dilation, Ceil }),
        ["avgpool"] = ("Average pooling (AvgPool2d).", new[] { Kernel("pool"), PoolStride, Padding, Ceil }),
        ["adaptive_avgpool"] = ("Adaptive average pooling to a fixed size (AdaptiveAvgPool2d, torchvision's avgpool).", new[] { TargetSize }),
        ["lrn"] = ("Local response normalization across channels: give size (PyTorch, Caffe) or depth_radius (TensorFlow), not both.", new[]
        {
            new KeySpec("size", ValueForm.PositiveInt, false, "PyTorch/Caffe convention: the channels in the window (alpha divided by size). Give size or depth_radius.", 5),
            new KeySpec("depth_radius", ValueForm.NonNegativeInt, false, "TensorFlow convention: 2r + 1 channels in the window, alpha not divided. Give size or depth_radius.", 2),
            new KeySpec("alpha", ValueForm.Number, false, "The scale (default 1e-4 with size, 1 with depth_radius).", 1e-4),
            new KeySpec("beta", ValueForm.Number, false, "The exponent (default 0.75 with size, 0.5 with depth_radius).", 0.75),
            new KeySpec("k", ValueForm.Number, false, "The additive constant (TensorFlow's bias; default 1).", 2),
        }),
        ["batchnorm"] = ("Batch normalization (BatchNorm2d, or BatchNorm1d on a flat input).", new[]
        {
            new KeySpec("eps", ValueForm.PositiveNumber, false, "Added to the variance; default PyTorch's 1e-5 (Keras uses 1e-3).", 1e-5, 1e-3),
            new KeySpec("momentum", ValueForm.Fraction, false, "PyTorch's momentum: the weight of the new batch, between 0 and 1, default 0.1 (Keras' momentum 0.99 is 0.01 here).", 0.1, 0.01),
            new KeySpec("activation", ValueForm.Activation, false, "An activation applied after the normalization (conv → batch norm → ReLU, as torchvision's VGG-BN). Default none.", "relu"),
        }),
        ["dropout"] = ("Dropout.", new[] { new KeySpec("rate", ValueForm.Rate, true, "The drop probability: at least 0 and below 1.", 0.5) }),
        ["flatten"] = ("Flattens a feature map HxWxC into N = H·W·C features.", Array.Empty<KeySpec>()),
        ["dense"] = ("A fully connected layer (Linear).", new[]
        {
            new KeySpec("units", ValueForm.PositiveInt, true, "The number of output features.", 4096, 10),
            Activation, WeightInit, BiasInit, Bias,
        }),
        ["zeropad"] = ("Zero padding (ZeroPad2d).", new[]
        {
            new KeySpec("padding", ValueForm.ExplicitPadding, true, "The padding: p (every side), [ph, pw] (top/bottom, left/right) or [top, bottom, left, right].", 1, new[] { 0, 1, 0, 1 }),
        }),
        ["resize"] = ("Resizes the feature map (bilinear interpolation) to a fixed size.", new[] { TargetSize }),
        ["activation"] = ("An activation on its own row.", new[]
        {
            new KeySpec("activation", ValueForm.Activation, true, "The activation: relu, tanh, sigmoid, softmax or none (linear is the same as none).", "relu"),
        }),
    };

    /// <summary>Top-level keys, in the parser's order (<see cref="ParserTables.TopLevelKeys"/>).</summary>
    public static readonly KeySpec[] TopLevel =
    {
        new("model", ValueForm.ModelName, true, "The C# class name of the generated model: a PascalCase identifier, unique in the project.", "AlexNet", "Vgg16Bn"),
        new("description", ValueForm.Text, false, "Free text, carried into the generated XML docs and the summaries.", "AlexNet as built in Keras"),
        new("source", ValueForm.Text, false, "Where the table comes from, carried into the generated XML docs.", "Krizhevsky et al. 2012, table 1"),
        new("namespace", ValueForm.Namespace, false, "The C# namespace of the generated class; default: the project's TorchSpecsNamespace or root namespace.", "My.Models"),
        new("input", ValueForm.MapShape, true, "The input size as height x width x channels (HxWxC), as the papers' tables write it. A spec with base: inherits it.", "227x227x3", "28x28x1"),
        new("defaults", ValueForm.Defaults, false, "Row keys applied to every row whose type takes them and that does not set them.", "{ weight_init: he }"),
        new("layers", ValueForm.Layers, true, "The layer table: one row per layer, in order. In a spec with base:, only the rows that change, insert (after: or before:) or remove (remove: true) rows of the base's table.", "- { name: conv1, type: conv, kernel: 3, filters: 64, output: 32x32x64 }"),
        new("base", ValueForm.Text, false, "The model (of another spec of the project) whose expanded table this spec starts from; layers then lists only the changes.", "Vgg11"),
        new("batchnorm", ValueForm.BatchNormRule, false, "after_conv: a batch norm row after every conv row, the conv's activation moved onto it (torchvision's make_layers); after_activation: after the conv's activation (most Keras code).", "after_conv"),
    };

    public static readonly IReadOnlyDictionary<string, string> EditKeyDescriptions = new Dictionary<string, string>
    {
        ["after"] = "Inserts this row after the named row of the base's table.",
        ["before"] = "Inserts this row before the named row of the base's table.",
        ["remove"] = "true: deletes the named row of the base's table (the row then has only name and remove).",
    };

    /// <summary>A key of one layer type: the common ones, then the type's own.</summary>
    public static KeySpec Key(string type, string key) =>
        new[] { NameKey, TypeKey, OutputKey, TorchNameKey }.Concat(Types[type].Keys).Single(k => k.Key == key);
}
