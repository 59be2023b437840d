namespace TorchSpecs.Generator.Model;

// The spec as written, after parsing and defaults, before shape inference. Every type here
// is an immutable, equatable record of strings, numbers and EquatableArrays: the incremental
// pipeline compares these values to decide what to regenerate, so they must never hold a
// Roslyn or YamlDotNet object.

internal enum LayerKind { Conv, MaxPool, AvgPool, AdaptiveAvgPool, Lrn, BatchNorm, Dropout, Flatten, Dense, ZeroPad, Resize, Activation }

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

internal sealed record LayerSpec
{
    public required int Index { get; init; }
    public required string Name { get; init; }
    public required string PropertyName { get; init; }
    public required LayerKind Kind { get; init; }
    public required LocationInfo Location { get; init; }
    public Pair? Kernel { get; init; }
    public Pair? Stride { get; init; }
    public PaddingSpec? Padding { get; init; }
    public int? Filters { get; init; }
    public int Groups { get; init; } = 1;
    public Pair Dilation { get; init; } = new(1, 1);
    public bool Ceil { get; init; }
    public int? Units { get; init; }
    public double? Rate { get; init; }
    public int? LrnSize { get; init; }
    public int? DepthRadius { get; init; }
    public double? Alpha { get; init; }
    public double? Beta { get; init; }
    public double? K { get; init; }
    public double? Eps { get; init; }
    public double? Momentum { get; init; }
    public Pair? Size { get; init; }
    public ActivationKind Activation { get; init; }
    public InitSpec WeightInit { get; init; } = InitSpec.Default;
    public double? BiasInit { get; init; }
    public bool Bias { get; init; } = true;
    public Shape? Output { get; init; }
    public LocationInfo? OutputLocation { get; init; }
    /// <summary>The row's module path in a PyTorch state_dict (torch_name), e.g. features.0.</summary>
    public string? TorchName { get; init; }
    /// <summary>False when the row had an error that leaves it unusable for inference.</summary>
    public bool IsComplete { get; init; } = true;
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
    public required EquatableArray<LayerSpec> Layers { get; init; }
}
