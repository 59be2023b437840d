using System.IO.Compression;
using TorchSharp;
using TorchSpecs.Data;

namespace TorchSpecs.Tests.Data;

public class ImageFolderTests
{
    /// <summary>Writes an 8-bit RGB PNG of one colour (filter 0 on every row).</summary>
    internal static void WritePng(string path, int width, int height, Func<int, int, (byte R, byte G, byte B)> pixel)
    {
        var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0);
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = pixel(x, y);
                raw.WriteByte(r); raw.WriteByte(g); raw.WriteByte(b);
            }
        }
        var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) z.Write(raw.ToArray());

        using var file = File.Create(path);
        file.Write(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10 });
        var header = new byte[13];
        BigEndian(width).CopyTo(header, 0);
        BigEndian(height).CopyTo(header, 4);
        header[8] = 8; header[9] = 2; // 8 bits, truecolour
        Chunk(file, "IHDR", header);
        Chunk(file, "IDAT", compressed.ToArray());
        Chunk(file, "IEND", Array.Empty<byte>());
    }

    private static void Chunk(Stream s, string type, byte[] data)
    {
        s.Write(BigEndian(data.Length));
        var typed = System.Text.Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        s.Write(typed);
        s.Write(BigEndian((int)Crc32(typed)));
    }

    private static uint Crc32(byte[] data)
    {
        uint crc = 0xffffffff;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xedb88320 ^ (crc >> 1) : crc >> 1;
        }
        return ~crc;
    }

    private static byte[] BigEndian(int v) => new[] { (byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v };

    private static void WriteFolder(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "daisy"));
        Directory.CreateDirectory(Path.Combine(root, "rose"));
        WritePng(Path.Combine(root, "daisy", "a.png"), 6, 4, (_, _) => (255, 255, 0));
        WritePng(Path.Combine(root, "daisy", "b.png"), 9, 9, (_, _) => (0, 0, 255));
        WritePng(Path.Combine(root, "rose", "c.png"), 5, 7, (_, _) => (255, 0, 0));
        File.WriteAllText(Path.Combine(root, "rose", "notes.txt"), "not an image, skipped");
    }

    [Fact]
    public void The_planar_decode_holds_the_interleaved_decodes_bytes_plane_by_plane()
    {
        using var dir = new TempDirectory();
        string file = dir.File("pattern.jpg");
        File.WriteAllBytes(file, TestImages.Jpeg(23, 17));
        foreach (var (w, h) in new[] { (0, 0), (31, 9) })   // the file's own size, and resized
        {
            byte[] rgb = ImageFile.DecodeRgb(file, out int width, out int height, w, h);
            byte[] planes = ImageFile.DecodePlanar(file, out int planarWidth, out int planarHeight, w, h);
            Assert.Equal((width, height), (planarWidth, planarHeight));
            int n = width * height;
            Assert.Equal(3 * n, planes.Length);
            for (int p = 0; p < n; p++)
                for (int c = 0; c < 3; c++)
                    Assert.Equal(rgb[3 * p + c], planes[c * n + p]);
        }
    }

    [Fact]
    public void Loads_classes_and_resizes_each_batch()
    {
        using var dir = new TempDirectory();
        WriteFolder(dir.Path);
        using var set = new ImageFolder(dir.Path);
        Assert.Equal(new[] { "daisy", "rose" }, set.Classes);
        Assert.Equal(new long[] { 0, 0, 1 }, set.Labels.data<long>().ToArray());
        using var batch = set.Images(torch.tensor(new long[] { 2, 0, 1 }), 4, 4);
        Assert.Equal(new long[] { 3, 3, 4, 4 }, batch.shape);
        // rose: red; daisy a: yellow; daisy b: blue
        Assert.Equal(new[] { 1f, 0f, 0f }, new[] { batch[0, 0, 2, 2].item<float>(), batch[0, 1, 2, 2].item<float>(), batch[0, 2, 2, 2].item<float>() });
        Assert.Equal(new[] { 1f, 1f, 0f }, new[] { batch[1, 0, 0, 3].item<float>(), batch[1, 1, 0, 3].item<float>(), batch[1, 2, 0, 3].item<float>() });
        Assert.Equal(1f, batch[2, 2, 3, 0].item<float>(), 5);
        Assert.Equal(0f, batch[2, 0, 3, 0].item<float>(), 5);
    }

    [Fact]
    public void Broken_image_is_rejected_with_its_name()
    {
        using var dir = new TempDirectory();
        WriteFolder(dir.Path);
        string bad = Path.Combine(dir.Path, "rose", "broken.png");
        File.WriteAllBytes(bad, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 });
        var e = Assert.Throws<DataFormatException>(() => new ImageFolder(dir.Path));
        Assert.Contains(bad, e.Message);
    }

    [Fact]
    public void Empty_class_folder_is_rejected()
    {
        using var dir = new TempDirectory();
        WriteFolder(dir.Path);
        Directory.CreateDirectory(Path.Combine(dir.Path, "tulip"));
        var e = Assert.Throws<DataFormatException>(() => new ImageFolder(dir.Path));
        Assert.Contains(Path.Combine(dir.Path, "tulip"), e.Message);
    }

    [Fact]
    public void Train_and_test_subfolders_split_the_set()
    {
        using var dir = new TempDirectory();
        WriteFolder(Path.Combine(dir.Path, "train"));
        WriteFolder(Path.Combine(dir.Path, "test"));
        using var splits = DataSets.Load("folder", dir.Path);
        Assert.Equal(3, splits.Train.Count);
        Assert.Equal(3, splits.Test!.Count);
    }
}
