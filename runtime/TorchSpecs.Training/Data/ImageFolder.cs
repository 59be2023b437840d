using StbImageSharp;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs.Data;

/// <summary>
/// An image folder: one subfolder per class (sorted by name), JPEG, PNG, BMP or GIF files in
/// each, like the 102-flowers set. Every file's header is checked when the set is made, so a
/// broken file is reported before training; pixels are decoded per batch, converted to RGB, and
/// each image resized bilinearly to the requested size before the batch is stacked.
/// </summary>
public sealed class ImageFolder : ImageDataSet
{
    private static readonly string[] Extensions = { ".jpg", ".jpeg", ".png", ".bmp", ".gif" };
    private readonly string[] _files;
    private readonly Tensor _labels;

    public ImageFolder(string directory, string? name = null)
    {
        if (!Directory.Exists(directory)) throw new DataNotFoundException($"{directory}: image folder not found");
        string[] classDirs = Directory.GetDirectories(directory).Order(StringComparer.Ordinal).ToArray();
        if (classDirs.Length < 2)
            throw new DataFormatException($"{directory}: found {classDirs.Length} class subfolders, expected one subfolder per class (at least 2)");
        var files = new List<string>();
        var labels = new List<long>();
        for (int c = 0; c < classDirs.Length; c++)
        {
            var images = Directory.GetFiles(classDirs[c])
                .Where(f => Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).ToArray();
            if (images.Length == 0)
                throw new DataFormatException($"{classDirs[c]}: no images (expected {string.Join(", ", Extensions)} files)");
            foreach (var file in images)
            {
                CheckHeader(file);
                files.Add(file);
                labels.Add(c);
            }
        }
        _files = files.ToArray();
        _labels = torch.tensor(labels.ToArray(), ScalarType.Int64);
        Classes = classDirs.Select(d => Path.GetFileName(d)!).ToArray();
        Name = name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
    }

    /// <summary>A folder with train/ and test/ inside is split that way; otherwise it is all training data.</summary>
    public static DataSplits LoadSplits(string directory, bool loadTest = true)
    {
        string train = Path.Combine(directory, "train"), test = Path.Combine(directory, "test");
        if (Directory.Exists(train))
        {
            var trainSet = new ImageFolder(train, "folder train");
            if (!loadTest || !Directory.Exists(test)) return new DataSplits(trainSet, null);
            var testSet = new ImageFolder(test, "folder test");
            if (!testSet.Classes.SequenceEqual(trainSet.Classes))
                throw new DataFormatException($"{test}: its classes ({string.Join(", ", testSet.Classes)}) differ from {train}'s ({string.Join(", ", trainSet.Classes)})");
            return new DataSplits(trainSet, testSet);
        }
        return new DataSplits(new ImageFolder(directory, "folder"), null);
    }

    public override string Name { get; }
    public override int Channels => 3;
    public override (long Height, long Width)? ImageSize => null;
    public override IReadOnlyList<string> Classes { get; }
    public override Tensor Labels => _labels;
    public IReadOnlyList<string> Files => _files;

    public override Tensor Images(Tensor indices, long height, long width)
    {
        long[] picks = indices.data<long>().ToArray();
        using var scope = NewDisposeScope();
        var batch = new Tensor[picks.Length];
        for (int i = 0; i < picks.Length; i++)
            batch[i] = Resize(Decode(_files[picks[i]]).unsqueeze(0), height, width);
        return torch.cat(batch, 0).MoveToOuterDisposeScope();
    }

    /// <summary>One image as float32 [3, H, W] in [0, 1].</summary>
    internal static Tensor Decode(string file)
    {
        ImageResult image;
        try
        {
            using var stream = File.OpenRead(file);
            image = ImageResult.FromStream(stream, ColorComponents.RedGreenBlue);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ArgumentException or IndexOutOfRangeException or NullReferenceException)
        {
            throw new DataFormatException($"{file}: cannot decode the image ({e.Message.TrimEnd('.')}); expected a JPEG, PNG, BMP or GIF file", e);
        }
        if (image.Data is null || image.Data.Length != image.Width * image.Height * 3)
            throw new DataFormatException($"{file}: decoded {image.Data?.Length ?? 0} bytes, expected {image.Width}x{image.Height}x3");
        using var hwc = torch.tensor(image.Data, new long[] { image.Height, image.Width, 3 }, ScalarType.Byte);
        return hwc.permute(2, 0, 1).to_type(ScalarType.Float32).div_(255f);
    }

    private static void CheckHeader(string file)
    {
        try
        {
            using var stream = File.OpenRead(file);
            var info = ImageInfo.FromStream(stream);
            if (info is null || info.Value.Width <= 0 || info.Value.Height <= 0)
                throw new DataFormatException($"{file}: not an image StbImageSharp can read; expected a JPEG, PNG, BMP or GIF file");
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or ArgumentException or IndexOutOfRangeException)
        {
            throw new DataFormatException($"{file}: cannot read the image header ({e.Message.TrimEnd('.')}); expected a JPEG, PNG, BMP or GIF file", e);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _labels.Dispose();
    }
}
