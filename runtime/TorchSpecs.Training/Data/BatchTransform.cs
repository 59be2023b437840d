using System.Runtime.Intrinsics;
using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs.Data;

/// <summary>How images meet a model input of another size.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<FitMode>))]
public enum FitMode
{
    /// <summary>Bilinear resize to the model's size (one interpolation per batch).</summary>
    Resize,
    /// <summary>Zero-pad smaller images to the model's size, centred (28x28 into 32x32); resize if larger.</summary>
    Pad,
}

/// <summary>Random augmentation of training batches, done on the whole batch tensor.</summary>
/// <param name="HorizontalFlip">Flip each image left-right with probability 1/2.</param>
/// <param name="CropPadding">Zero-pad by this many pixels and crop back at a random offset per image; 0 is off.</param>
/// <param name="Erasing">
/// Random erasing (Zhong et al. 2017): with this probability per image, a rectangle of 2% to 40%
/// of the image, aspect ratio 0.3 to 3.3, is set to 0 after normalization (the mean); 0 is off.
/// </param>
public sealed record Augmentation(bool HorizontalFlip = false, int CropPadding = 0, double Erasing = 0)
{
    public static Augmentation None { get; } = new();
    public bool Any => HorizontalFlip || CropPadding > 0 || Erasing > 0;
}

/// <summary>Per-channel normalization (x - mean) / std, in the model's channels. Equal when the values are.</summary>
public sealed record Normalization(float[] Mean, float[] Std)
{
    public bool Equals(Normalization? other) =>
        other is not null && Mean.AsSpan().SequenceEqual(other.Mean) && Std.AsSpan().SequenceEqual(other.Std);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var m in Mean) hash.Add(m);
        foreach (var s in Std) hash.Add(s);
        return hash.ToHashCode();
    }
}

/// <summary>
/// Turns data-set images into a model's input batch: fit (resize or pad), channel replication
/// of grayscale into 3-channel models (or luminance for 1-channel models fed RGB), optional
/// augmentation, normalization. Every step works on the whole [B, C, H, W] batch.
/// </summary>
public sealed class BatchTransform
{
    private readonly TensorShape _input;
    private readonly FitMode _fit;

    public BatchTransform(TensorShape modelInput, FitMode fit, Normalization normalization)
    {
        if (modelInput.IsFlat) throw new ArgumentException($"the model takes a flat input ({modelInput}); image data needs an HxWxC input", nameof(modelInput));
        _input = modelInput;
        _fit = fit;
        if (normalization.Mean.Length != modelInput.Channels || normalization.Std.Length != modelInput.Channels)
            throw new ArgumentException($"normalization has {normalization.Mean.Length} channels, the model {modelInput.Channels}", nameof(normalization));
        Normalization = normalization;
    }

    public Normalization Normalization { get; }

    /// <summary>
    /// The images at <paramref name="indices"/> as the model's input, float32 [B, C, H, W].
    /// With <paramref name="augmentation"/>, random flips and crops draw from <paramref name="generator"/>
    /// (torch's global generator when it is null; seed it for repeatable runs).
    /// </summary>
    /// <remarks>
    /// When the set gives its bytes at the model's size (<see cref="ImageDataSet.ImageBytes"/>),
    /// fitting, flips and crops move uint8 pixels and one pass turns them into normalized floats;
    /// otherwise they work on float images. Both give the same numbers.
    /// </remarks>
    public Tensor Apply(ImageDataSet data, Tensor indices, Augmentation? augmentation = null, Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        Tensor x;
        if (Fit(data, indices, _input, _fit, bytes: true) is { } pixels)
        {
            if (augmentation is { Any: true }) pixels = Augment(pixels, augmentation, generator);
            x = Normalize(pixels, Normalization);
        }
        else
        {
            x = Fit(data, indices, _input, _fit);
            if (augmentation is { Any: true }) x = Augment(x, augmentation, generator);
            using var mean = torch.tensor(Normalization.Mean).reshape(1, -1, 1, 1);
            using var std = torch.tensor(Normalization.Std).reshape(1, -1, 1, 1);
            x = x.sub(mean).div_(std);
        }
        if (augmentation is { Erasing: > 0 }) x = Erase(x, augmentation.Erasing, generator);
        return x.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// uint8 images [B, C, H, W] as float32 (x / 255 − mean) / std per channel, in one pass: the
    /// same float operations in the same order as converting, dividing by 255, subtracting the
    /// mean tensor and dividing by the std tensor, so the same numbers.
    /// </summary>
    internal static unsafe Tensor Normalize(Tensor pixels, Normalization normalization)
    {
        if (pixels.dtype != ScalarType.Byte || pixels.dim() != 4) throw new ArgumentException($"expected uint8 [B, C, H, W] pixels, got {pixels.dtype} [{string.Join(", ", pixels.shape)}]", nameof(pixels));
        long b = pixels.shape[0], c = pixels.shape[1], plane = pixels.shape[2] * pixels.shape[3];
        if (c != normalization.Mean.Length) throw new ArgumentException($"normalization has {normalization.Mean.Length} channels, the images {c}", nameof(normalization));
        using var contiguous = pixels.contiguous();
        var output = torch.empty(pixels.shape, ScalarType.Float32);
        byte* from = TensorMemory.Pointer<byte>(contiguous);
        float* to = TensorMemory.Pointer<float>(output);
        for (long image = 0; image < b; image++)
            for (int channel = 0; channel < c; channel++)
            {
                long offset = (image * c + channel) * plane;
                NormalizePlane(from + offset, to + offset, plane, normalization.Mean[channel], normalization.Std[channel]);
            }
        return output;
    }

    private static unsafe void NormalizePlane(byte* from, float* to, long n, float mean, float std)
    {
        long i = 0;
        if (Vector128.IsHardwareAccelerated)
        {
            var scale = Vector128.Create(255f);
            var m = Vector128.Create(mean);
            var s = Vector128.Create(std);
            for (; i <= n - 16; i += 16)
            {
                var (low, high) = Vector128.Widen(Vector128.Load(from + i));
                var (a, bb) = Vector128.Widen(low);
                var (cc, d) = Vector128.Widen(high);
                ((Vector128.ConvertToSingle(a.AsInt32()) / scale - m) / s).Store(to + i);
                ((Vector128.ConvertToSingle(bb.AsInt32()) / scale - m) / s).Store(to + i + 4);
                ((Vector128.ConvertToSingle(cc.AsInt32()) / scale - m) / s).Store(to + i + 8);
                ((Vector128.ConvertToSingle(d.AsInt32()) / scale - m) / s).Store(to + i + 12);
            }
        }
        for (; i < n; i++) to[i] = (from[i] / 255f - mean) / std;
    }

    /// <summary>
    /// The per-channel mean and standard deviation of up to <paramref name="sample"/> images
    /// (evenly spaced through the set), fitted to the model input.
    /// </summary>
    public static Normalization Measure(ImageDataSet data, TensorShape modelInput, FitMode fit, int sample = 10_000)
    {
        using var scope = NewDisposeScope();
        long n = Math.Min(sample, data.Count);
        var indices = torch.linspace(0, data.Count - 1, n).to_type(ScalarType.Int64);
        var sum = torch.zeros(modelInput.Channels, dtype: ScalarType.Float64);
        var squares = torch.zeros(modelInput.Channels, dtype: ScalarType.Float64);
        long pixels = 0;
        for (long start = 0; start < n; start += 1000)
        {
            var x = Fit(data, indices.narrow(0, start, Math.Min(n, start + 1000) - start), modelInput, fit).to_type(ScalarType.Float64);
            sum.add_(x.sum(new long[] { 0, 2, 3 }));
            squares.add_(x.square().sum(new long[] { 0, 2, 3 }));
            pixels += x.shape[0] * x.shape[2] * x.shape[3];
        }
        var mean = sum.div(pixels);
        var std = squares.div(pixels).sub(mean.square()).clamp_min(1e-12).sqrt().clamp_min(1e-3);
        return new Normalization(
            mean.to_type(ScalarType.Float32).data<float>().ToArray(),
            std.to_type(ScalarType.Float32).data<float>().ToArray());
    }

    internal static Tensor Fit(ImageDataSet data, Tensor indices, TensorShape input, FitMode fit) => Fit(data, indices, input, fit, bytes: false)!;

    /// <summary>
    /// The images fitted to the model input: float in [0, 1], or with <paramref name="bytes"/>
    /// uint8, or null when the set cannot give bytes at the size needed or the channels need a
    /// float conversion (RGB to luminance).
    /// </summary>
    private static Tensor? Fit(ImageDataSet data, Tensor indices, TensorShape input, FitMode fit, bool bytes)
    {
        long have = data.Channels, want = input.Channels;
        if (bytes && have != want && have != 1) return null;
        Tensor? Read(long height, long width) => bytes ? data.ImageBytes(indices, height, width) : data.Images(indices, height, width);
        Tensor? x;
        var size = data.ImageSize;
        if (fit == FitMode.Pad && size is { } s && s.Height <= input.Height && s.Width <= input.Width)
        {
            x = Read(s.Height, s.Width);
            long top = (input.Height - s.Height) / 2, left = (input.Width - s.Width) / 2;
            if (x is not null && (top > 0 || left > 0 || s.Height < input.Height || s.Width < input.Width))
                x = nn.functional.pad(x, new[] { left, input.Width - s.Width - left, top, input.Height - s.Height - top });
        }
        else
        {
            x = Read(input.Height, input.Width);
        }
        if (x is null) return null;
        have = x.shape[1];
        if (have == want) return x;
        if (have == 1) return x.expand(-1, want, -1, -1).contiguous();
        if (have == 3 && want == 1)
        {
            using var weights = torch.tensor(new[] { 0.299f, 0.587f, 0.114f }).reshape(1, 3, 1, 1);
            return x.mul(weights).sum(1, keepdim: true);
        }
        throw new ArgumentException($"{data.Name} has {have} channels; the model takes {want}");
    }

    /// <summary>Random erasing of a whole normalized batch: one rectangle per chosen image set to 0.</summary>
    internal static Tensor Erase(Tensor x, double probability, Generator? generator = null)
    {
        long b = x.shape[0], h = x.shape[2], w = x.shape[3];
        var chosen = torch.rand(b, generator: generator).lt(probability);
        var area = torch.rand(b, generator: generator).mul(0.38).add(0.02).mul(h * w);
        var logRatio = torch.rand(b, generator: generator).mul(Math.Log(3.3) - Math.Log(0.3)).add(Math.Log(0.3));
        var ratio = logRatio.exp();
        var eh = area.mul(ratio).sqrt().round().clamp(1, h);
        var ew = area.div(ratio).sqrt().round().clamp(1, w);
        var top = torch.rand(b, generator: generator).mul(eh.neg().add(h + 1)).floor();
        var left = torch.rand(b, generator: generator).mul(ew.neg().add(w + 1)).floor();
        var rows = torch.arange(h, dtype: ScalarType.Float32).reshape(1, h, 1);
        var cols = torch.arange(w, dtype: ScalarType.Float32).reshape(1, 1, w);
        var inRows = rows.ge(top.reshape(b, 1, 1)).logical_and(rows.lt(top.add(eh).reshape(b, 1, 1)));
        var inCols = cols.ge(left.reshape(b, 1, 1)).logical_and(cols.lt(left.add(ew).reshape(b, 1, 1)));
        var mask = inRows.logical_and(inCols).logical_and(chosen.reshape(b, 1, 1)).unsqueeze(1);   // [B, 1, H, W]
        return x.masked_fill(mask, 0);
    }

    /// <summary>Random horizontal flips and padded random crops for a whole batch.</summary>
    internal static Tensor Augment(Tensor x, Augmentation augmentation, Generator? generator = null)
    {
        long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        if (augmentation.HorizontalFlip)
        {
            var flip = torch.rand(b, generator: generator).lt(0.5).reshape(b, 1, 1, 1);
            x = torch.where(flip, x.flip(3), x);
        }
        int p = augmentation.CropPadding;
        if (p > 0)
        {
            var padded = nn.functional.pad(x, new long[] { p, p, p, p });
            var dy = torch.randint(0, 2 * p + 1, new[] { b, 1L }, generator: generator, dtype: ScalarType.Int64);
            var dx = torch.randint(0, 2 * p + 1, new[] { b, 1L }, generator: generator, dtype: ScalarType.Int64);
            var rows = dy.add(torch.arange(h, dtype: ScalarType.Int64).unsqueeze(0));   // [B, H]
            var cols = dx.add(torch.arange(w, dtype: ScalarType.Int64).unsqueeze(0));   // [B, W]
            var rowIndex = rows.reshape(b, 1, h, 1).expand(b, c, h, w + 2 * p);
            var picked = padded.gather(2, rowIndex);                                    // [B, C, H, W+2p]
            var colIndex = cols.reshape(b, 1, 1, w).expand(b, c, h, w);
            x = picked.gather(3, colIndex);
        }
        return x;
    }
}
