using TorchSharp;
using TorchSpecs.Data;

namespace TorchSpecs.Tests.Data;

/// <summary>
/// Every kind of broken image file is an error naming it when the set is made (before any
/// training), or, with SkipCorrupt, left out and listed. Each case decodes "successfully" with
/// a lenient decoder (grey blocks or repeated rows), which is what these tests guard against.
/// </summary>
public class CorruptImageTests
{
    public static TheoryData<string, string> Cases => new()
    {
        { "truncated.jpg", "truncated" },
        { "zeroed-scan.jpg", "scan data does not match the image" },
        { "zeroed-part.jpg", "corrupt JPEG" },
        { "no-scan.jpg", "no image data" },
        { "no-sos.jpg", "no image data" },
        { "corrupt-pixels.png", "corrupt PNG" },
        { "truncated.png", "truncated PNG" },
        { "cut.gif", "truncated GIF" },
        { "cut.bmp", "truncated BMP" },
    };

    private static byte[] Make(string name)
    {
        byte[] jpeg = TestImages.Jpeg(64, 48);
        int scan = TestImages.ScanStart(jpeg);
        switch (name)
        {
            case "truncated.jpg": return jpeg[..(jpeg.Length * 2 / 3)];
            case "zeroed-scan.jpg":
            {
                var z = (byte[])jpeg.Clone();
                Array.Clear(z, scan, jpeg.Length - 2 - scan);   // keeps the FF D9 end marker
                return z;
            }
            case "zeroed-part.jpg":
            {
                var z = (byte[])jpeg.Clone();
                Array.Clear(z, scan + (jpeg.Length - scan) / 3, 200);
                return z;
            }
            case "no-scan.jpg": return jpeg[..scan].Concat(new byte[] { 0xFF, 0xD9 }).ToArray();
            case "no-sos.jpg": return jpeg[..TestImages.SosIndex(jpeg)].Concat(new byte[] { 0xFF, 0xD9 }).ToArray();
            case "corrupt-pixels.png":
            {
                var png = TestImages.Png(40, 30);
                int idat = IndexOf(png, "IDAT"u8.ToArray());
                png[idat + 30] ^= 0x10;   // one bit inside the compressed pixels
                return png;
            }
            case "truncated.png": { var png = TestImages.Png(40, 30); return png[..(png.Length * 2 / 3)]; }
            case "cut.gif": { var gif = TestImages.Gif(40, 30); return gif[..(gif.Length / 2)]; }
            case "cut.bmp": { var bmp = TestImages.Bmp(40, 30); return bmp[..(bmp.Length / 2)]; }
            default: throw new ArgumentException(name);
        }
    }

    private static int IndexOf(byte[] data, byte[] what)
    {
        for (int i = 0; i + what.Length <= data.Length; i++)
            if (data.AsSpan(i, what.Length).SequenceEqual(what)) return i;
        throw new InvalidOperationException("not found");
    }

    private static void WriteGoodFolder(string root)
    {
        foreach (var c in new[] { "a", "b" }) Directory.CreateDirectory(Path.Combine(root, c));
        File.WriteAllBytes(Path.Combine(root, "a", "good.jpg"), TestImages.Jpeg(64, 48));
        File.WriteAllBytes(Path.Combine(root, "a", "good.png"), TestImages.Png(40, 30));
        File.WriteAllBytes(Path.Combine(root, "b", "good.gif"), TestImages.Gif(40, 30));
        File.WriteAllBytes(Path.Combine(root, "b", "good.bmp"), TestImages.Bmp(40, 30));
    }

    [Fact]
    public void Good_files_of_every_format_decode_to_their_pixels()
    {
        using var dir = new TempDirectory();
        WriteGoodFolder(dir.Path);
        using var set = new ImageFolder(dir.Path);
        Assert.Empty(set.Skipped);
        Assert.Equal(4, set.Count);
        // a/good.jpg, a/good.png, b/good.bmp, b/good.gif: sorted by class, then name
        using var batch = set.Images(torch.tensor(new long[] { 1, 2, 3 }), 30, 40);
        var (r, g, b) = TestImages.Pattern(7, 11);
        for (int i = 0; i < 2; i++)   // PNG and BMP are exact
        {
            Assert.Equal(r, Math.Round(batch[i, 0, 11, 7].item<float>() * 255));
            Assert.Equal(g, Math.Round(batch[i, 1, 11, 7].item<float>() * 255));
            Assert.Equal(b, Math.Round(batch[i, 2, 11, 7].item<float>() * 255));
        }
        // the GIF's 3-3-2 palette keeps the top bits of each channel
        Assert.InRange(batch[2, 0, 11, 7].item<float>() * 255, r - 37, r + 37);
        using var jpeg = set.Images(torch.tensor(new long[] { 0 }), 48, 64);
        var (jr, jg, _) = TestImages.Pattern(20, 10);
        Assert.InRange(jpeg[0, 0, 10, 20].item<float>() * 255, jr - 12, jr + 12);
        Assert.InRange(jpeg[0, 1, 10, 20].item<float>() * 255, jg - 12, jg + 12);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Broken_file_is_an_error_naming_it(string name, string expected)
    {
        using var dir = new TempDirectory();
        WriteGoodFolder(dir.Path);
        string bad = Path.Combine(dir.Path, "b", name);
        File.WriteAllBytes(bad, Make(name));
        var e = Assert.Throws<DataFormatException>(() => new ImageFolder(dir.Path));
        Assert.StartsWith(bad + ": ", e.Message);
        Assert.True(e.Message.Contains(expected), e.Message);
    }

    [Fact]
    public void With_SkipCorrupt_broken_files_are_left_out_and_listed()
    {
        using var dir = new TempDirectory();
        WriteGoodFolder(dir.Path);
        foreach (var (name, _) in Cases.Select(c => ((string)c[0], (string)c[1])))
            File.WriteAllBytes(Path.Combine(dir.Path, "b", name), Make(name));
        using var set = new ImageFolder(dir.Path, options: new ImageFolderOptions { SkipCorrupt = true });
        Assert.Equal(4, set.Count);
        Assert.Equal(Cases.Count(), set.Skipped.Count);
        Assert.All(set.Skipped, s => Assert.StartsWith(Path.Combine(dir.Path, "b"), s.File));
        Assert.Contains(set.Skipped, s => s.File.EndsWith("cut.gif") && s.Reason.Contains("truncated GIF"));
    }

    [Fact]
    public void A_corrupt_test_image_is_found_when_the_data_is_loaded_before_training()
    {
        using var dir = new TempDirectory();
        WriteGoodFolder(Path.Combine(dir.Path, "train"));
        WriteGoodFolder(Path.Combine(dir.Path, "test"));
        string bad = Path.Combine(dir.Path, "test", "a", "zeroed-scan.jpg");
        File.WriteAllBytes(bad, Make("zeroed-scan.jpg"));
        var e = Assert.Throws<DataFormatException>(() => DataSets.Load("folder", dir.Path));
        Assert.Contains(bad, e.Message);
    }

    [Fact]
    public void A_class_whose_every_image_is_broken_is_an_error_even_when_skipping()
    {
        using var dir = new TempDirectory();
        WriteGoodFolder(dir.Path);
        Directory.CreateDirectory(Path.Combine(dir.Path, "c"));
        File.WriteAllBytes(Path.Combine(dir.Path, "c", "x.gif"), Make("cut.gif"));
        var e = Assert.Throws<DataFormatException>(() => new ImageFolder(dir.Path, options: new ImageFolderOptions { SkipCorrupt = true }));
        Assert.Contains(Path.Combine(dir.Path, "c"), e.Message);
    }
}
