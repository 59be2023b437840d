using TorchSpecs.Data;

namespace TorchSpecs.Tests.Data;

public class Cifar10Tests
{
    /// <summary>A record whose red plane is 10*label+1, green 10*label+2, blue the pixel's row.</summary>
    internal static byte[] Record(byte label)
    {
        var record = new byte[Cifar10.RecordBytes];
        record[0] = label;
        for (int i = 0; i < 1024; i++)
        {
            record[1 + i] = (byte)(10 * label + 1);
            record[1 + 1024 + i] = (byte)(10 * label + 2);
            record[1 + 2048 + i] = (byte)(i / 32);
        }
        return record;
    }

    internal static void WriteCifar(string dir)
    {
        for (int f = 1; f <= 5; f++)
            File.WriteAllBytes(Path.Combine(dir, $"data_batch_{f}.bin"), Record((byte)(f - 1)).Concat(Record((byte)(f + 4))).ToArray());
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), Record(3));
    }

    [Fact]
    public void Reads_the_binary_version_in_order()
    {
        using var dir = new TempDirectory();
        WriteCifar(dir.Path);
        using var splits = DataSets.Load("cifar10", dir.Path);
        var train = (TensorImageDataSet)splits.Train;
        Assert.Equal(new long[] { 10, 3, 32, 32 }, train.RawImages.shape);
        Assert.Equal(new long[] { 0, 5, 1, 6, 2, 7, 3, 8, 4, 9 }, train.Labels.data<long>().ToArray());
        // record 3 is file 2's second record: label 6
        Assert.Equal(61, train.RawImages[3, 0, 17, 5].item<byte>());
        Assert.Equal(62, train.RawImages[3, 1, 0, 31].item<byte>());
        Assert.Equal(17, train.RawImages[3, 2, 17, 5].item<byte>());
        Assert.Equal(0, train.RawImages[3, 2, 0, 9].item<byte>());
        Assert.Equal("horse", train.Classes[7]);
        Assert.Equal(new long[] { 3 }, splits.Test!.Labels.data<long>().ToArray());
    }

    [Fact]
    public void Truncated_file_is_rejected_with_its_name()
    {
        using var dir = new TempDirectory();
        WriteCifar(dir.Path);
        string path = dir.File("data_batch_4.bin");
        File.WriteAllBytes(path, File.ReadAllBytes(path)[..5000]);
        var e = Assert.Throws<DataFormatException>(() => DataSets.Load("cifar10", dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains("3073", e.Message);
    }

    [Fact]
    public void Bad_label_is_rejected()
    {
        using var dir = new TempDirectory();
        WriteCifar(dir.Path);
        string path = dir.File("test_batch.bin");
        var bytes = File.ReadAllBytes(path);
        bytes[0] = 42;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DataFormatException>(() => DataSets.Load("cifar10", dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains("label 42", e.Message);
    }

    [Fact]
    public void Missing_batch_is_named()
    {
        using var dir = new TempDirectory();
        WriteCifar(dir.Path);
        File.Delete(dir.File("data_batch_2.bin"));
        var e = Assert.Throws<DataNotFoundException>(() => DataSets.Load("cifar10", dir.Path));
        Assert.Contains(dir.File("data_batch_2.bin"), e.Message);
    }

    [Fact]
    public void Class_names_file_is_read_and_checked()
    {
        using var dir = new TempDirectory();
        WriteCifar(dir.Path);
        string meta = dir.File("batches.meta.txt");
        string[] names = { "plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck" };
        File.WriteAllText(meta, string.Join("\n", names) + "\n\n");
        using (var splits = DataSets.Load("cifar10", dir.Path)) Assert.Equal(names, splits.Train.Classes);

        File.WriteAllText(meta, string.Join("\n", names[..9]));
        var e = Assert.Throws<DataFormatException>(() => DataSets.Load("cifar10", dir.Path));
        Assert.Contains(meta, e.Message);
        Assert.Contains("9 class names, expected 10", e.Message);

        File.WriteAllText(meta, string.Join("\n", names[..9].Append("cat")));
        e = Assert.Throws<DataFormatException>(() => DataSets.Load("cifar10", dir.Path));
        Assert.Contains(meta, e.Message);
        Assert.Contains("'cat' is on lines 4 and 10", e.Message);
    }
}
