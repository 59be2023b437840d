using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs.Data;

/// <summary>A data file that is missing, truncated or malformed. The message is one line naming the file.</summary>
public sealed class DataFormatException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A data set that is not where it was looked for. The message says what was looked for;
/// <see cref="Package"/> names the Debian package that installs it, when there is one.
/// </summary>
public sealed class DataNotFoundException(string message, string? package = null) : Exception(message)
{
    public string? Package { get; } = package;
}

/// <summary>
/// A labelled image data set held in memory (or, for image folders, as files). Images come out
/// as float32 batches [B, C, H, W] with values in [0, 1]; labels as int64 [N].
/// </summary>
public abstract class ImageDataSet : IDisposable
{
    /// <summary>A short name for logs: "fashion-mnist train".</summary>
    public abstract string Name { get; }

    public long Count => Labels.shape[0];

    /// <summary>Channels of the stored images (1 for grayscale, 3 for RGB).</summary>
    public abstract int Channels { get; }

    /// <summary>The size every image has, or null when sizes vary (image folders).</summary>
    public abstract (long Height, long Width)? ImageSize { get; }

    public abstract IReadOnlyList<string> Classes { get; }

    /// <summary>Files left out because they could not be decoded (only with an explicit option, e.g. <see cref="ImageFolderOptions.SkipCorrupt"/>).</summary>
    public virtual IReadOnlyList<SkippedImage> Skipped => Array.Empty<SkippedImage>();

    /// <summary>Every label, int64 [N], in 0..Classes.Count-1.</summary>
    public abstract Tensor Labels { get; }

    /// <summary>
    /// The images at <paramref name="indices"/> (int64 [B]) as float32 [B, C, height, width] in [0, 1],
    /// resized bilinearly (one interpolation per batch) when their size differs.
    /// </summary>
    public abstract Tensor Images(Tensor indices, long height, long width);

    /// <summary>
    /// The images at <paramref name="indices"/> as their stored bytes, uint8 [B, C, height, width]
    /// (contiguous), or null when the set cannot give bytes at that size (it then resizes in
    /// float: <see cref="Images(Tensor, long, long)"/>). <see cref="BatchTransform"/> prefers the
    /// bytes: flips and crops move a quarter of the memory, and one pass turns them into the
    /// normalized float batch.
    /// </summary>
    public virtual Tensor? ImageBytes(Tensor indices, long height, long width) => null;

    /// <summary>The images at their own size; only for data sets with a fixed <see cref="ImageSize"/>.</summary>
    public Tensor Images(Tensor indices)
    {
        var size = ImageSize ?? throw new InvalidOperationException($"{Name}: images have different sizes; name a size");
        return Images(indices, size.Height, size.Width);
    }

    /// <summary>The images at the given positions of this set, as a new set sharing the storage.</summary>
    public ImageDataSet Subset(Tensor indices, string name) => new SubsetDataSet(this, indices, name);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) { }

    internal static Tensor Resize(Tensor batch, long height, long width) =>
        batch.shape[2] == height && batch.shape[3] == width
            ? batch
            : nn.functional.interpolate(batch, size: new[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false);
}

/// <summary>Images of one size, held as one uint8 tensor [N, C, H, W].</summary>
public sealed class TensorImageDataSet : ImageDataSet
{
    private readonly Tensor _images;
    private readonly Tensor _labels;

    /// <param name="name">A short name for logs.</param>
    /// <param name="images">uint8 [N, C, H, W]; the set takes ownership.</param>
    /// <param name="labels">int64 [N]; the set takes ownership.</param>
    /// <param name="classes">Class names, one per label value.</param>
    public TensorImageDataSet(string name, Tensor images, Tensor labels, IReadOnlyList<string> classes)
    {
        if (images.dim() != 4) throw new ArgumentException($"{name}: images must be [N, C, H, W], got {images.dim()} axes", nameof(images));
        if (labels.dim() != 1 || labels.shape[0] != images.shape[0])
            throw new ArgumentException($"{name}: {labels.shape[0]} labels for {images.shape[0]} images", nameof(labels));
        Name = name;
        _images = images.dtype == ScalarType.Byte ? images : throw new ArgumentException("images must be uint8", nameof(images));
        _labels = labels.dtype == ScalarType.Int64 ? labels : throw new ArgumentException("labels must be int64", nameof(labels));
        Classes = classes;
    }

    public override string Name { get; }
    public override int Channels => (int)_images.shape[1];
    public override (long Height, long Width)? ImageSize => (_images.shape[2], _images.shape[3]);
    public override IReadOnlyList<string> Classes { get; }
    public override Tensor Labels => _labels;

    /// <summary>The raw uint8 images [N, C, H, W].</summary>
    public Tensor RawImages => _images;

    public override Tensor Images(Tensor indices, long height, long width)
    {
        using var scope = NewDisposeScope();
        var batch = _images.index_select(0, indices).to_type(ScalarType.Float32).div_(255f);
        return Resize(batch, height, width).MoveToOuterDisposeScope();
    }

    public override Tensor? ImageBytes(Tensor indices, long height, long width) =>
        _images.shape[2] == height && _images.shape[3] == width ? _images.index_select(0, indices) : null;

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        _images.Dispose();
        _labels.Dispose();
    }
}

/// <summary>Some images of another set (a training or validation split).</summary>
internal sealed class SubsetDataSet : ImageDataSet
{
    private readonly ImageDataSet _source;
    private readonly Tensor _indices;
    private readonly Tensor _labels;

    public SubsetDataSet(ImageDataSet source, Tensor indices, string name)
    {
        _source = source;
        _indices = indices.to_type(ScalarType.Int64).detach().clone();
        _labels = source.Labels.index_select(0, _indices);
        Name = name;
    }

    public override string Name { get; }
    public override int Channels => _source.Channels;
    public override (long Height, long Width)? ImageSize => _source.ImageSize;
    public override IReadOnlyList<string> Classes => _source.Classes;
    public override IReadOnlyList<SkippedImage> Skipped => _source.Skipped;
    public override Tensor Labels => _labels;

    public override Tensor Images(Tensor indices, long height, long width)
    {
        using var mapped = _indices.index_select(0, indices);
        return _source.Images(mapped, height, width);
    }

    public override Tensor? ImageBytes(Tensor indices, long height, long width)
    {
        using var mapped = _indices.index_select(0, indices);
        return _source.ImageBytes(mapped, height, width);
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing) return;
        _indices.Dispose();
        _labels.Dispose();
    }
}
