namespace TorchSpecs.Generator.Model;

// The spec as written, after parsing and defaults, before shape inference. Every type here
// is an immutable, equatable record of strings, numbers and EquatableArrays: the incremental
// pipeline compares these values to decide what to regenerate, so they must never hold a
// Roslyn or YamlDotNet object.

// LayerKind itself is runtime/TorchSpecs.Runtime/Models/LayerKind.cs, linked into this assembly.

internal enum ActivationKind { None, Relu, Tanh, Sigmoid, Softmax }

internal enum PaddingMode { Explicit, Same, Valid }

internal enum InitKind { Default, Normal, TruncatedNormal, He, Glorot, Zeros }

/// <summary>A height/width pair (kernel, stride, dilation, target size).</summary>
internal readonly record struct Pair(int H, int W)
{
    public override string ToString() => H == W ? H.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{H}x{W}";
}

/// <summary>Padding as written: explicit sides, or Keras' same/valid resolved at inference.</summary>
internal sealed record PaddingSpec(PaddingMode Mode, int Top, int Bottom, int Left, int Right)
{
    public static readonly PaddingSpec Zero = new(PaddingMode.Explicit, 0, 0, 0, 0);
}

internal sealed record InitSpec(InitKind Kind, double Mean, double Std)
{
    public static readonly InitSpec Default = new(InitKind.Default, 0, 0);
}

/// <summary>A tensor shape without the batch axis: HxWxC, or N features once flat.</summary>
internal readonly record struct Shape(long H, long W, long C, bool IsFlat)
{
    public static Shape Map(long h, long w, long c) => new(h, w, c, false);
    public static Shape Flat(long n) => new(1, 1, n, true);
    public long Elements => IsFlat ? C : H * W * C;
    public override string ToString() => IsFlat ? C.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{H}x{W}x{C}";
}

/// <summary>
/// One row of the table: what every row has (name, place, documented output). Each kind has its
/// own record derived from this one, holding only its keys, with the defaults filled in
/// (Kinds/*.cs, beside the kind's definition).
/// </summary>
internal abstract record LayerSpec
{
    public int Index { get; init; }
    public string Name { get; init; } = "";
    public string PropertyName { get; init; } = "";
    public LocationInfo Location { get; init; } = LocationInfo.FileStart("");
    public abstract LayerKind Kind { get; }
    public Shape? Output { get; init; }
    public LocationInfo? OutputLocation { get; init; }
    /// <summary>The row's module path in a PyTorch state_dict (torch_name), e.g. features.0.</summary>
    public string? TorchName { get; init; }
    /// <summary>False when the row had an error that leaves it unusable for inference.</summary>
    public bool IsComplete { get; init; } = true;
    /// <summary>The model whose table this row is inherited from unchanged (families), or null for a row this spec writes or edits.</summary>
    public string? InheritedFrom { get; init; }

    /// <summary>How diagnostics name the row: <c>pool5</c>, or <c>pool5 (inherited from Vgg11)</c>.</summary>
    public string DisplayName => InheritedFrom is null ? Name : $"{Name} (inherited from {InheritedFrom})";

    /// <summary>The activation the row applies after its layer (none for kinds without an activation key).</summary>
    public ActivationKind AppliedActivation => this is IActivatedSpec a ? a.Activation : ActivationKind.None;
}

/// <summary>A row kind with an <c>activation</c> key.</summary>
internal interface IActivatedSpec
{
    ActivationKind Activation { get; }
}

/// <summary>A row kind with learned weights and the initializer keys (conv, dense).</summary>
internal interface IWeightedSpec
{
    InitSpec WeightInit { get; }
    double? BiasInit { get; }
    bool Bias { get; }
}

/// <summary>A sliding-window row (conv, pools): its window and padding, as written.</summary>
internal interface IWindowSpec
{
    Pair Kernel { get; }
    Pair Stride { get; }
    PaddingSpec Padding { get; }
    Pair Dilation { get; }
    bool Ceil { get; }
}

/// <summary>A row that could not be read: it keeps its place and its documented output, and is never inferred.</summary>
internal sealed record UnreadableSpec : LayerSpec
{
    public override LayerKind Kind => LayerKind.Activation;
}

internal sealed record NetworkSpec
{
    public required string FilePath { get; init; }
    public required string Model { get; init; }
    public required LocationInfo ModelLocation { get; init; }
    public string? Namespace { get; init; }
    public string? Description { get; init; }
    public string? Source { get; init; }
    public required Shape Input { get; init; }
    /// <summary>
    /// Where a derived spec states its input, when that is its only table-wide change (no
    /// <c>defaults</c>, no <c>batchnorm</c> rule); null for a plain spec or when the input is inherited.
    /// </summary>
    public LocationInfo? InputLocation { get; init; }
    public required EquatableArray<LayerSpec> Layers { get; init; }
}
