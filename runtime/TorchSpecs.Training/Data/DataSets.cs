using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs.Data;

/// <summary>A training set and, where the data has one, its test set.</summary>
public sealed class DataSplits(ImageDataSet train, ImageDataSet? test) : IDisposable
{
    public ImageDataSet Train { get; } = train;
    public ImageDataSet? Test { get; } = test;

    public void Dispose()
    {
        Train.Dispose();
        Test?.Dispose();
    }
}

/// <summary>The data sets the command line knows by name.</summary>
public static class DataSets
{
    public const string FashionMnistDirectory = "/usr/share/datasets/fashion-mnist";

    public static readonly IReadOnlyList<string> FashionMnistClasses = new[]
    {
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    };

    public static readonly IReadOnlyList<string> DigitClasses = Enumerable.Range(0, 10).Select(i => i.ToString()).ToArray();

    /// <summary>The names <see cref="Load"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Names = new[] { "fashion-mnist", "mnist", "cifar10", "folder" };

    /// <summary>
    /// Loads a named data set: fashion-mnist (default folder <see cref="FashionMnistDirectory"/>),
    /// mnist, cifar10 (binary version) or folder (one subfolder per class; train/ and test/ inside
    /// when it has a test set). <paramref name="directory"/> overrides the default folder.
    /// </summary>
    /// <param name="name">fashion-mnist, mnist, cifar10 or folder.</param>
    /// <param name="directory">The data's folder; null for the default one.</param>
    /// <param name="loadTest">Also load the test set (when the data has one).</param>
    /// <param name="folder">How an image folder is read (skipping corrupt files, caching, decode threads); other sets ignore it.</param>
    public static DataSplits Load(string name, string? directory, bool loadTest = true, ImageFolderOptions? folder = null) => name.ToLowerInvariant() switch
    {
        "fashion-mnist" or "fashion" => LoadMnistLike("fashion-mnist", directory ?? FashionMnistDirectory, FashionMnistClasses, loadTest,
            "the Debian/Ubuntu package dataset-fashion-mnist installs it there; or name a folder with train-images-idx3-ubyte.gz and the other three IDX files", "dataset-fashion-mnist"),
        "mnist" => LoadMnistLike("mnist", directory ?? throw new DataNotFoundException("mnist: no folder given; name the folder that holds its four IDX files"), DigitClasses, loadTest,
            "name a folder with train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz) and t10k-labels-idx1-ubyte(.gz)"),
        "cifar10" or "cifar-10" => Cifar10.Load(directory ?? throw new DataNotFoundException(
            "cifar10: no folder given; name the folder with data_batch_1.bin .. data_batch_5.bin and test_batch.bin (the CIFAR-10 binary version)"), loadTest),
        "folder" or "images" => ImageFolder.LoadSplits(directory ?? throw new DataNotFoundException(
            "folder: no folder given; name the image folder (one subfolder per class, or train/ and test/ with one subfolder per class inside)"), loadTest, folder),
        _ => throw new DataNotFoundException($"unknown data set '{name}': expected one of {string.Join(", ", Names)}"),
    };

    private static DataSplits LoadMnistLike(string name, string directory, IReadOnlyList<string> classes, bool loadTest, string howToGet, string? package = null)
    {
        if (!Directory.Exists(directory))
            throw new DataNotFoundException($"{name}: no folder {directory}; {howToGet}", package);
        var train = Idx.Load($"{name} train", Find(name, directory, "train-images-idx3-ubyte", howToGet, package), Find(name, directory, "train-labels-idx1-ubyte", howToGet, package), classes);
        if (!loadTest) return new DataSplits(train, null);
        try
        {
            var test = Idx.Load($"{name} test", Find(name, directory, "t10k-images-idx3-ubyte", howToGet, package), Find(name, directory, "t10k-labels-idx1-ubyte", howToGet, package), classes);
            return new DataSplits(train, test);
        }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    private static string Find(string name, string directory, string stem, string howToGet, string? package)
    {
        foreach (var candidate in new[] { stem + ".gz", stem, stem.Replace("-idx", ".idx") + ".gz", stem.Replace("-idx", ".idx") })
        {
            string path = Path.Combine(directory, candidate);
            if (File.Exists(path)) return path;
        }
        throw new DataNotFoundException($"{name}: {Path.Combine(directory, stem)}(.gz) not found; {howToGet}", package);
    }
}

/// <summary>
/// The CIFAR-10 binary version: files of 3073-byte records, one label byte then 1024 red,
/// 1024 green and 1024 blue values of a 32x32 image in row order.
/// </summary>
public static class Cifar10
{
    public const int RecordBytes = 1 + 3 * 32 * 32;

    public static readonly IReadOnlyList<string> Classes = new[]
    {
        "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
    };

    public static readonly IReadOnlyList<string> TrainFiles = Enumerable.Range(1, 5).Select(i => $"data_batch_{i}.bin").ToArray();
    public const string TestFile = "test_batch.bin";

    public static DataSplits Load(string directory, bool loadTest = true)
    {
        if (!Directory.Exists(directory))
            throw new DataNotFoundException($"cifar10: no folder {directory}; download the CIFAR-10 binary version (cifar-10-binary.tar.gz), unpack it and name its cifar-10-batches-bin folder");
        string[] missing = TrainFiles.Append(TestFile).Where(f => !File.Exists(Path.Combine(directory, f))).ToArray();
        if (missing.Length > 0 && (missing.Length > 1 || missing[0] != TestFile || loadTest))
            throw new DataNotFoundException($"cifar10: {Path.Combine(directory, missing[0])} not found; the folder needs {string.Join(", ", TrainFiles)} and {TestFile}");
        var classes = ReadClassNames(directory);
        var train = ReadFiles("cifar10 train", TrainFiles.Select(f => Path.Combine(directory, f)).ToArray(), classes);
        if (!loadTest) return new DataSplits(train, null);
        try { return new DataSplits(train, ReadFiles("cifar10 test", new[] { Path.Combine(directory, TestFile) }, classes)); }
        catch
        {
            train.Dispose();
            throw;
        }
    }

    /// <summary>Reads record files into one set; every file is checked before any tensor is made.</summary>
    public static TensorImageDataSet ReadFiles(string name, IReadOnlyList<string> paths, IReadOnlyList<string>? classes = null)
    {
        classes ??= Classes;
        var contents = new List<byte[]>();
        foreach (var path in paths)
        {
            if (!File.Exists(path)) throw new DataFormatException($"{path}: file not found");
            byte[] bytes = File.ReadAllBytes(path);
            if (bytes.Length == 0 || bytes.Length % RecordBytes != 0)
                throw new DataFormatException($"{path}: {bytes.Length} bytes is not a whole number of {RecordBytes}-byte CIFAR-10 records (1 label byte + 3072 pixel bytes); the file is truncated or not CIFAR-10 binary");
            for (int r = 0, n = bytes.Length / RecordBytes; r < n; r++)
            {
                byte label = bytes[r * RecordBytes];
                if (label >= classes.Count)
                    throw new DataFormatException($"{path}: record {r} has label {label}, expected 0..{classes.Count - 1}; not CIFAR-10 binary (CIFAR-100 has 2 label bytes)");
            }
            contents.Add(bytes);
        }
        byte[] all = contents.Count == 1 ? contents[0] : contents.SelectMany(b => b).ToArray();
        long records = all.Length / RecordBytes;
        using var scope = NewDisposeScope();
        var table = torch.tensor(all, new long[] { records, RecordBytes }, ScalarType.Byte);
        var labels = table[.., 0].to_type(ScalarType.Int64);
        var images = table[.., 1..].reshape(records, 3, 32, 32).contiguous();
        return new TensorImageDataSet(name, images.MoveToOuterDisposeScope(), labels.MoveToOuterDisposeScope(), classes);
    }

    private static IReadOnlyList<string> ReadClassNames(string directory)
    {
        string meta = Path.Combine(directory, "batches.meta.txt");
        if (!File.Exists(meta)) return Classes;
        var lines = File.ReadAllLines(meta).Select((l, i) => (Name: l.Trim(), Line: i + 1)).Where(l => l.Name.Length > 0).ToArray();
        var names = lines.Select(l => l.Name).ToArray();
        if (names.Length != Classes.Count)
            throw new DataFormatException($"{meta}: {names.Length} class names, expected {Classes.Count} (one per line, for labels 0..{Classes.Count - 1})");
        var twice = names.GroupBy(n => n, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null)
            throw new DataFormatException($"{meta}: the class name '{twice.Key}' is on lines {string.Join(" and ", lines.Where(l => l.Name == twice.Key).Select(l => l.Line))}; class names must differ");
        return names;
    }
}
