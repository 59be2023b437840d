using System.IO.Compression;
using TorchSpecs.Data;

namespace TorchSpecs.Tests.Data;

public class IdxTests
{
    internal static byte[] Images(int count, int rows, int cols, Func<int, int, int, byte> pixel)
    {
        var bytes = new List<byte> { 0, 0, 8, 3 };
        foreach (var d in new[] { count, rows, cols }) bytes.AddRange(BigEndian(d));
        for (int n = 0; n < count; n++)
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < cols; c++) bytes.Add(pixel(n, r, c));
        return bytes.ToArray();
    }

    internal static byte[] Labels(params byte[] labels)
    {
        var bytes = new List<byte> { 0, 0, 8, 1 };
        bytes.AddRange(BigEndian(labels.Length));
        bytes.AddRange(labels);
        return bytes.ToArray();
    }

    internal static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    private static byte[] BigEndian(int v) => new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v };

    /// <summary>Writes the four Fashion-MNIST files (gzip) into a folder: 3 training images, 2 test images of 4x5.</summary>
    internal static void WriteFashionMnist(string dir, bool gzip = true)
    {
        string ext = gzip ? ".gz" : "";
        byte[] Wrap(byte[] b) => gzip ? Gzip(b) : b;
        File.WriteAllBytes(Path.Combine(dir, "train-images-idx3-ubyte" + ext), Wrap(Images(3, 4, 5, (n, r, c) => (byte)(n * 50 + r * 5 + c))));
        File.WriteAllBytes(Path.Combine(dir, "train-labels-idx1-ubyte" + ext), Wrap(Labels(9, 0, 4)));
        File.WriteAllBytes(Path.Combine(dir, "t10k-images-idx3-ubyte" + ext), Wrap(Images(2, 4, 5, (n, r, c) => (byte)(255 - n))));
        File.WriteAllBytes(Path.Combine(dir, "t10k-labels-idx1-ubyte" + ext), Wrap(Labels(1, 2)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Reads_images_and_labels_gzip_or_plain(bool gzip)
    {
        using var dir = new TempDirectory();
        WriteFashionMnist(dir.Path, gzip);
        using var splits = DataSets.Load("fashion-mnist", dir.Path);
        var train = (TensorImageDataSet)splits.Train;
        Assert.Equal(new long[] { 3, 1, 4, 5 }, train.RawImages.shape);
        Assert.Equal(new long[] { 9, 0, 4 }, train.Labels.data<long>().ToArray());
        Assert.Equal(2 * 50 + 3 * 5 + 4, train.RawImages[2, 0, 3, 4].item<byte>());
        Assert.Equal(1 * 50 + 0 * 5 + 2, train.RawImages[1, 0, 0, 2].item<byte>());
        Assert.Equal("Ankle boot", train.Classes[9]);
        using var batch = train.Images(TorchSharp.torch.tensor(new long[] { 2 }));
        Assert.Equal((2 * 50 + 3 * 5 + 4) / 255f, batch[0, 0, 3, 4].item<float>(), 6);
        Assert.Equal(new long[] { 1, 2 }, splits.Test!.Labels.data<long>().ToArray());
        Assert.Equal(2, splits.Test.Count);
    }

    [Fact]
    public void Truncated_gzip_is_rejected_with_the_file_name()
    {
        using var dir = new TempDirectory();
        WriteFashionMnist(dir.Path);
        string path = dir.File("train-images-idx3-ubyte.gz");
        byte[] whole = File.ReadAllBytes(path);
        File.WriteAllBytes(path, whole[..(whole.Length / 2)]);
        var e = Assert.Throws<DataFormatException>(() => DataSets.Load("fashion-mnist", dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains("gzip", e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }

    [Fact]
    public void Wrong_magic_is_rejected_with_the_file_name()
    {
        using var dir = new TempDirectory();
        WriteFashionMnist(dir.Path, gzip: false);
        string path = dir.File("train-labels-idx1-ubyte");
        var bytes = File.ReadAllBytes(path);
        bytes[2] = 0x0d; // float data, not ubyte
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DataFormatException>(() => DataSets.Load("fashion-mnist", dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains("magic", e.Message);
    }

    [Fact]
    public void Image_file_given_as_labels_is_rejected()
    {
        using var dir = new TempDirectory();
        WriteFashionMnist(dir.Path, gzip: false);
        File.Copy(dir.File("train-images-idx3-ubyte"), dir.File("train-labels-idx1-ubyte"), overwrite: true);
        var e = Assert.Throws<DataFormatException>(() => DataSets.Load("fashion-mnist", dir.Path));
        Assert.Contains(dir.File("train-labels-idx1-ubyte"), e.Message);
        Assert.Contains("3 axes", e.Message);
    }

    [Fact]
    public void Label_and_image_counts_must_agree()
    {
        using var dir = new TempDirectory();
        WriteFashionMnist(dir.Path);
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte.gz"), Gzip(Labels(1, 2)));
        var e = Assert.Throws<DataFormatException>(() => DataSets.Load("fashion-mnist", dir.Path));
        Assert.Contains(dir.File("train-labels-idx1-ubyte.gz"), e.Message);
        Assert.Contains("2 labels", e.Message);
        Assert.Contains("3 images", e.Message);
    }

    [Fact]
    public void Truncated_data_after_a_good_header_is_rejected()
    {
        using var dir = new TempDirectory();
        WriteFashionMnist(dir.Path, gzip: false);
        string path = dir.File("t10k-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^7]);
        var e = Assert.Throws<DataFormatException>(() => DataSets.Load("fashion-mnist", dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Label_out_of_range_is_rejected()
    {
        using var dir = new TempDirectory();
        WriteFashionMnist(dir.Path);
        File.WriteAllBytes(dir.File("train-labels-idx1-ubyte.gz"), Gzip(Labels(1, 10, 2)));
        var e = Assert.Throws<DataFormatException>(() => DataSets.Load("fashion-mnist", dir.Path));
        Assert.Contains("label 10 at index 1", e.Message);
    }

    [Fact]
    public void Missing_files_say_how_to_get_the_data()
    {
        using var dir = new TempDirectory();
        WriteFashionMnist(dir.Path);
        File.Delete(dir.File("t10k-labels-idx1-ubyte.gz"));
        var e = Assert.Throws<DataNotFoundException>(() => DataSets.Load("fashion-mnist", dir.Path));
        Assert.Contains(dir.File("t10k-labels-idx1-ubyte"), e.Message);
        Assert.Contains("package dataset-fashion-mnist", e.Message);
        Assert.Equal("dataset-fashion-mnist", e.Package);

        var missingFolder = Assert.Throws<DataNotFoundException>(() => DataSets.Load("fashion-mnist", dir.File("nowhere")));
        Assert.Contains(dir.File("nowhere"), missingFolder.Message);
        Assert.Contains("package dataset-fashion-mnist", missingFolder.Message);
        Assert.DoesNotContain("--data", missingFolder.Message);
    }

    [Fact]
    public void Training_set_alone_loads_without_test_files()
    {
        using var dir = new TempDirectory();
        WriteFashionMnist(dir.Path);
        File.Delete(dir.File("t10k-images-idx3-ubyte.gz"));
        using var splits = DataSets.Load("fashion-mnist", dir.Path, loadTest: false);
        Assert.Equal(3, splits.Train.Count);
        Assert.Null(splits.Test);
    }

    [Theory]
    [InlineData(2097152u, 2097152u, 4194304u)]   // 2^21 x 2^21 x 2^22 = 2^64: wraps to 0 in 64 bits
    [InlineData(4294967295u, 1u, 1u)]            // over int.MaxValue
    [InlineData(60000u, 2800u, 2800u)]           // no overflow, but far more than the file holds
    public void Header_sizes_that_overflow_or_exceed_the_file_are_clear_errors(uint count, uint rows, uint cols)
    {
        using var dir = new TempDirectory();
        WriteFashionMnist(dir.Path, gzip: false);
        string path = dir.File("train-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(path);
        foreach (var (value, at) in new[] { (count, 4), (rows, 8), (cols, 12) })
            for (int k = 0; k < 4; k++) bytes[at + k] = (byte)(value >> (24 - 8 * k));
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DataFormatException>(() => DataSets.Load("fashion-mnist", dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"sizes {count}x{rows}x{cols}", e.Message);
        Assert.Contains("more values than the file", e.Message);
    }
}
