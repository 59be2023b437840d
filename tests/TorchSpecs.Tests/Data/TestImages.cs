using SkiaSharp;

namespace TorchSpecs.Tests.Data;

/// <summary>Image files made in the test: a JPEG (SkiaSharp's libjpeg-turbo encoder), a PNG, a 24-bit BMP and a 256-colour GIF.</summary>
internal static class TestImages
{
    /// <summary>A smooth, textured picture, so that the JPEG's scan data is not trivial.</summary>
    public static (byte R, byte G, byte B) Pattern(int x, int y) =>
        ((byte)(x * 3 + y), (byte)(y * 5 % 256), (byte)((x * y / 7) % 256));

    public static byte[] Jpeg(int width, int height, int quality = 90)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = Pattern(x, y);
                bitmap.SetPixel(x, y, new SKColor(r, g, b));
            }
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(SKEncodedImageFormat.Jpeg, quality);
        return data.ToArray();
    }

    public static byte[] Png(int width, int height)
    {
        string path = Path.GetTempFileName();
        try
        {
            ImageFolderTests.WritePng(path, width, height, Pattern);
            return File.ReadAllBytes(path);
        }
        finally { File.Delete(path); }
    }

    public static byte[] Bmp(int width, int height)
    {
        int row = (width * 3 + 3) & ~3, size = 54 + row * height;
        var b = new byte[size];
        void I32(int at, int v) => BitConverter.GetBytes(v).CopyTo(b, at);
        b[0] = (byte)'B'; b[1] = (byte)'M';
        I32(2, size); I32(10, 54); I32(14, 40); I32(18, width); I32(22, height);
        b[26] = 1; b[28] = 24; I32(34, row * height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (r, g, bl) = Pattern(x, height - 1 - y);   // bottom-up rows
                int at = 54 + y * row + x * 3;
                b[at] = bl; b[at + 1] = g; b[at + 2] = r;
            }
        return b;
    }

    /// <summary>A GIF with a 3-3-2 palette, LZW-coded with a clear code every 254 codes so that every code has 9 bits.</summary>
    public static byte[] Gif(int width, int height)
    {
        var s = new MemoryStream();
        void U16(int v) { s.WriteByte((byte)v); s.WriteByte((byte)(v >> 8)); }
        s.Write("GIF89a"u8);
        U16(width); U16(height); s.WriteByte(0xF7); s.WriteByte(0); s.WriteByte(0);
        for (int i = 0; i < 256; i++)
        {
            s.WriteByte((byte)((i >> 5) * 255 / 7)); s.WriteByte((byte)(((i >> 2) & 7) * 255 / 7)); s.WriteByte((byte)((i & 3) * 255 / 3));
        }
        s.WriteByte(0x2C); U16(0); U16(0); U16(width); U16(height); s.WriteByte(0);
        s.WriteByte(8);
        var codes = new List<int> { 256 };
        int n = 0;
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = Pattern(x, y);
                codes.Add((r >> 5) << 5 | (g >> 5) << 2 | (b >> 6));
                if (++n == 254) { codes.Add(256); n = 0; }
            }
        codes.Add(257);
        var bytes = new List<byte>();
        int acc = 0, bits = 0;
        foreach (var c in codes)
        {
            acc |= c << bits;
            for (bits += 9; bits >= 8; bits -= 8) { bytes.Add((byte)acc); acc >>= 8; }
        }
        if (bits > 0) bytes.Add((byte)acc);
        for (int i = 0; i < bytes.Count; i += 255)
        {
            int length = Math.Min(255, bytes.Count - i);
            s.WriteByte((byte)length);
            for (int j = 0; j < length; j++) s.WriteByte(bytes[i + j]);
        }
        s.WriteByte(0); s.WriteByte(0x3B);
        return s.ToArray();
    }

    /// <summary>Where the first SOS marker is.</summary>
    public static int SosIndex(byte[] jpeg)
    {
        for (int i = 2; i + 1 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) return i;
        throw new InvalidOperationException("no SOS marker");
    }

    /// <summary>Where the first scan's entropy-coded data starts (after the SOS segment).</summary>
    public static int ScanStart(byte[] jpeg)
    {
        for (int i = 2; i + 3 < jpeg.Length; i++)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA) return i + 2 + (jpeg[i + 2] << 8 | jpeg[i + 3]);
        throw new InvalidOperationException("no SOS marker");
    }
}
