using System.Globalization;

namespace TorchSpecs;

/// <summary>
/// A tensor shape without the batch axis, written as the papers' tables write it:
/// <c>HxWxC</c> for feature maps, <c>N</c> once flat.
/// </summary>
public readonly record struct TensorShape(long Height, long Width, long Channels)
{
    /// <summary>True for a flat vector of <see cref="Channels"/> features.</summary>
    public bool IsFlat { get; private init; }

    public static TensorShape Flat(long features) => new(1, 1, features) { IsFlat = true };

    public long Elements => IsFlat ? Channels : Height * Width * Channels;

    /// <summary>The shape of a batch in TorchSharp's layout: [N, C, H, W] or [N, features].</summary>
    public long[] ToTorch(long batch) => IsFlat ? new[] { batch, Channels } : new[] { batch, Channels, Height, Width };

    /// <summary>Reads a TorchSharp shape [N, C, H, W] or [N, features].</summary>
    public static TensorShape FromTorch(long[] shape) => shape.Length switch
    {
        2 => Flat(shape[1]),
        4 => new TensorShape(shape[2], shape[3], shape[1]),
        _ => throw new ArgumentException($"expected a batch shape [N, C, H, W] or [N, features], got [{string.Join(", ", shape)}]", nameof(shape)),
    };

    /// <summary>Keras' form: (None, 55, 55, 96) or (None, 4096).</summary>
    public string ToKeras() => IsFlat ? $"(None, {Channels})" : $"(None, {Height}, {Width}, {Channels})";

    public override string ToString() =>
        IsFlat ? Channels.ToString(CultureInfo.InvariantCulture) : $"{Height}x{Width}x{Channels}";
}
