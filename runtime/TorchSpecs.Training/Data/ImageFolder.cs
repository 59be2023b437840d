using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs.Data;

/// <summary>How an <see cref="ImageFolder"/> reads its files.</summary>
public sealed record ImageFolderOptions
{
    /// <summary>
    /// Leave out files that cannot be decoded (listed in <see cref="ImageDataSet.Skipped"/>)
    /// instead of refusing the folder. Off by default: a broken file is an error naming it.
    /// </summary>
    public bool SkipCorrupt { get; init; }

    /// <summary>Keep each image once decoded and resized to the size asked for, so later epochs do not decode it again.</summary>
    public bool Cache { get; init; }

    /// <summary>Files decoded at once (the check when the set is made, and each batch); 0 is one per core.</summary>
    public int DecodeThreads { get; init; }

    internal int Threads => DecodeThreads > 0 ? DecodeThreads : Environment.ProcessorCount;
}

/// <summary>
/// An image folder: one subfolder per class (sorted by name), JPEG, PNG, BMP or GIF files in
/// each, like the 102-flowers set. Every file is decoded whole when the set is made (in
/// parallel), so a truncated or corrupt file is reported, or skipped and counted, before any
/// training; batches then decode their files in parallel (SkiaSharp), resize each bilinearly to
/// the size asked for, and can keep them cached (<see cref="ImageFolderOptions.Cache"/>).
/// </summary>
public sealed class ImageFolder : ImageDataSet
{
    private readonly string[] _files;
    private readonly Tensor _labels;
    private readonly ImageFolderOptions _options;
    private readonly SkippedImage[] _skipped;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int Index, long Height, long Width), byte[]> _cache = new();

    public ImageFolder(string directory, string? name = null, ImageFolderOptions? options = null)
    {
        _options = options ?? new ImageFolderOptions();
        if (!Directory.Exists(directory)) throw new DataNotFoundException($"{directory}: image folder not found");
        string[] classDirs = Directory.GetDirectories(directory).Order(StringComparer.Ordinal).ToArray();
        if (classDirs.Length < 2)
            throw new DataFormatException($"{directory}: found {classDirs.Length} class subfolders, expected one subfolder per class (at least 2)");
        var candidates = new List<(string File, int Label)>();
        for (int c = 0; c < classDirs.Length; c++)
        {
            var images = Directory.GetFiles(classDirs[c])
                .Where(f => ImageFile.Extensions.Contains(Path.GetExtension(f).ToLowerInvariant()))
                .Order(StringComparer.Ordinal).ToArray();
            if (images.Length == 0)
                throw new DataFormatException($"{classDirs[c]}: no images (expected {string.Join(", ", ImageFile.Extensions)} files)");
            candidates.AddRange(images.Select(f => (f, c)));
        }

        // Decode every file once: a broken one is found now, not in the middle of an epoch.
        var problems = new string?[candidates.Count];
        Parallel.For(0, candidates.Count, new ParallelOptions { MaxDegreeOfParallelism = _options.Threads }, i =>
        {
            try { ImageFile.DecodeRgb(candidates[i].File, out _, out _); }
            catch (DataFormatException e) { problems[i] = e.Message; }
        });
        int firstBad = Array.FindIndex(problems, p => p is not null);
        if (firstBad >= 0 && !_options.SkipCorrupt)
        {
            int bad = problems.Count(p => p is not null);
            throw new DataFormatException(bad == 1 ? problems[firstBad]! : $"{problems[firstBad]} (and {bad - 1} more unreadable images in {directory})");
        }
        _skipped = candidates.Select((c, i) => (c.File, Problem: problems[i])).Where(x => x.Problem is not null)
            .Select(x => new SkippedImage(x.File, Reason(x.File, x.Problem!))).ToArray();
        var kept = candidates.Where((_, i) => problems[i] is null).ToArray();
        int emptied = Enumerable.Range(0, classDirs.Length).FirstOrDefault(c => kept.All(k => k.Label != c), -1);
        if (emptied >= 0) throw new DataFormatException($"{classDirs[emptied]}: every image in it is unreadable");
        _files = kept.Select(k => k.File).ToArray();
        _labels = torch.tensor(kept.Select(k => (long)k.Label).ToArray(), ScalarType.Int64);
        Classes = classDirs.Select(d => Path.GetFileName(d)!).ToArray();
        Name = name ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(directory));
    }

    private static string Reason(string file, string message) =>
        message.StartsWith(file + ": ", StringComparison.Ordinal) ? message[(file.Length + 2)..] : message;

    /// <summary>A folder with train/ and test/ inside is split that way; otherwise it is all training data.</summary>
    public static DataSplits LoadSplits(string directory, bool loadTest = true, ImageFolderOptions? options = null)
    {
        string train = Path.Combine(directory, "train"), test = Path.Combine(directory, "test");
        if (Directory.Exists(train))
        {
            var trainSet = new ImageFolder(train, "folder train", options);
            if (!loadTest || !Directory.Exists(test)) return new DataSplits(trainSet, null);
            ImageFolder testSet;
            try { testSet = new ImageFolder(test, "folder test", options); }
            catch
            {
                trainSet.Dispose();
                throw;
            }
            if (!testSet.Classes.SequenceEqual(trainSet.Classes))
            {
                trainSet.Dispose();
                testSet.Dispose();
                throw new DataFormatException($"{test}: its classes ({string.Join(", ", testSet.Classes)}) differ from {train}'s ({string.Join(", ", trainSet.Classes)})");
            }
            return new DataSplits(trainSet, testSet);
        }
        return new DataSplits(new ImageFolder(directory, "folder", options), null);
    }

    public override string Name { get; }
    public override int Channels => 3;
    public override (long Height, long Width)? ImageSize => null;
    public override IReadOnlyList<string> Classes { get; }
    public override Tensor Labels => _labels;
    public IReadOnlyList<string> Files => _files;
    public override IReadOnlyList<SkippedImage> Skipped => _skipped;

    public override Tensor Images(Tensor indices, long height, long width)
    {
        using var bytes = ImageBytes(indices, height, width);
        return bytes.to_type(ScalarType.Float32).div_(255f);
    }

    /// <summary>Every image is decoded (and resized) to the size asked for, so bytes are always there.</summary>
    public override unsafe Tensor ImageBytes(Tensor indices, long height, long width)
    {
        long[] picks = indices.data<long>().ToArray();
        long plane = 3 * height * width;
        var batch = torch.empty(new[] { picks.Length, 3, height, width }, ScalarType.Byte);
        if (picks.Length == 0) return batch;
        byte* output = TensorMemory.Pointer<byte>(batch);
        Parallel.For(0, picks.Length, new ParallelOptions { MaxDegreeOfParallelism = _options.Threads }, i =>
        {
            int index = checked((int)picks[i]);
            if (!_cache.TryGetValue((index, height, width), out var planes))
            {
                // The scans were walked when the set was made; the decoder's own checks still run.
                planes = ImageFile.DecodePlanar(_files[index], out _, out _, (int)width, (int)height, walkJpegScans: false);
                if (_options.Cache) _cache[(index, height, width)] = planes;
            }
            planes.AsSpan().CopyTo(new Span<byte>(output + i * plane, checked((int)plane)));
        });
        return batch;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _labels.Dispose();
    }
}
