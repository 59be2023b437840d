using SkiaSharp;

namespace TorchSpecs.Data;

/// <summary>An image file that could not be used, and why.</summary>
public sealed record SkippedImage(string File, string Reason);

/// <summary>
/// Decodes JPEG, PNG, BMP and GIF files with SkiaSharp (libjpeg-turbo, libpng, Skia's own BMP
/// and GIF decoders) and refuses any file whose decoder did not read it whole: a decoder that
/// reaches the end of the data too early reports "incomplete input" and fills the rest, which
/// is an error here, as is a checksum or format error. JPEG files are also walked scan by scan
/// (<see cref="JpegStructure"/>), because libjpeg decodes a zeroed or missing scan to a grey
/// picture and calls it success. Every error names the file.
/// </summary>
public static class ImageFile
{
    /// <summary>The file extensions read as images.</summary>
    public static readonly IReadOnlyList<string> Extensions = new[] { ".jpg", ".jpeg", ".png", ".bmp", ".gif" };

    /// <summary>The size of the image in <paramref name="file"/>, from its header.</summary>
    public static (int Width, int Height) ReadSize(string file)
    {
        using var codec = Open(file, Read(file));
        return (codec.Info.Width, codec.Info.Height);
    }

    /// <summary>
    /// Decodes the whole file to interleaved RGB bytes (height x width x 3), resized bilinearly to
    /// <paramref name="width"/>x<paramref name="height"/> when they are given and differ.
    /// Throws <see cref="DataFormatException"/> naming the file for anything not read whole.
    /// <paramref name="walkJpegScans"/> also walks a JPEG's scans (<see cref="JpegStructure"/>);
    /// files already checked that way when their set was made skip it.
    /// </summary>
    public static byte[] DecodeRgb(string file, out int width, out int height, int targetWidth = 0, int targetHeight = 0, bool walkJpegScans = true) =>
        Decode(file, out width, out height, targetWidth, targetHeight, walkJpegScans, ToRgb);

    /// <summary>
    /// <see cref="DecodeRgb"/>'s pixels as three planes (3 x height x width: red, green, blue),
    /// the layout of a model's input batch.
    /// </summary>
    public static byte[] DecodePlanar(string file, out int width, out int height, int targetWidth = 0, int targetHeight = 0, bool walkJpegScans = true) =>
        Decode(file, out width, out height, targetWidth, targetHeight, walkJpegScans, ToPlanes);

    private static byte[] Decode(string file, out int width, out int height, int targetWidth, int targetHeight, bool walkJpegScans, Func<SKBitmap, byte[]> layout)
    {
        byte[] bytes = Read(file);
        if (walkJpegScans && bytes is [0xFF, 0xD8, ..] && JpegStructure.Check(bytes) is { } problem)
            throw new DataFormatException($"{file}: corrupt JPEG: {problem}");
        using var codec = Open(file, bytes);
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        using var decoded = new SKBitmap(info);
        var result = codec.GetPixels(info, decoded.GetPixels());
        if (result != SKCodecResult.Success)
            throw new DataFormatException(result == SKCodecResult.IncompleteInput
                ? $"{file}: truncated {Format(codec)}: the image data ends before its last row"
                : $"{file}: corrupt {Format(codec)} ({Describe(result)})");
        var source = decoded;
        SKBitmap? scaled = null;
        try
        {
            if (targetWidth > 0 && targetHeight > 0 && (targetWidth != info.Width || targetHeight != info.Height))
            {
                scaled = new SKBitmap(new SKImageInfo(targetWidth, targetHeight, SKColorType.Rgba8888, SKAlphaType.Unpremul));
                if (!decoded.ScalePixels(scaled, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.None)))
                    throw new DataFormatException($"{file}: could not resize {info.Width}x{info.Height} to {targetWidth}x{targetHeight}");
                source = scaled;
            }
            width = source.Width;
            height = source.Height;
            return layout(source);
        }
        finally
        {
            scaled?.Dispose();
        }
    }

    private static unsafe byte[] ToRgb(SKBitmap bitmap)
    {
        int w = bitmap.Width, h = bitmap.Height, stride = bitmap.RowBytes;
        var rgb = new byte[(long)w * h * 3];
        byte* pixels = (byte*)bitmap.GetPixels();
        fixed (byte* output = rgb)
        {
            for (int y = 0; y < h; y++)
            {
                byte* row = pixels + (long)y * stride;
                byte* to = output + (long)y * w * 3;
                for (int x = 0; x < w; x++)
                {
                    to[3 * x] = row[4 * x];
                    to[3 * x + 1] = row[4 * x + 1];
                    to[3 * x + 2] = row[4 * x + 2];
                }
            }
        }
        return rgb;
    }

    private static unsafe byte[] ToPlanes(SKBitmap bitmap)
    {
        int w = bitmap.Width, h = bitmap.Height, stride = bitmap.RowBytes;
        long plane = (long)w * h;
        var planes = new byte[3 * plane];
        byte* pixels = (byte*)bitmap.GetPixels();
        fixed (byte* output = planes)
        {
            for (int y = 0; y < h; y++)
            {
                byte* row = pixels + (long)y * stride;
                byte* red = output + (long)y * w, green = red + plane, blue = green + plane;
                for (int x = 0; x < w; x++)
                {
                    red[x] = row[4 * x];
                    green[x] = row[4 * x + 1];
                    blue[x] = row[4 * x + 2];
                }
            }
        }
        return planes;
    }

    private static byte[] Read(string file)
    {
        try { return File.ReadAllBytes(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFormatException($"{file}: cannot read: {e.Message}", e);
        }
    }

    private static SKCodec Open(string file, byte[] bytes)
    {
        var codec = SKCodec.Create(new MemoryStream(bytes, writable: false), out var result);
        if (codec is null)
            throw new DataFormatException(result == SKCodecResult.IncompleteInput
                ? $"{file}: truncated image: the file ends inside its header"
                : $"{file}: not an image that can be read ({Describe(result)}); expected a JPEG, PNG, BMP or GIF file");
        if (codec.Info.Width <= 0 || codec.Info.Height <= 0)
        {
            codec.Dispose();
            throw new DataFormatException($"{file}: image size {codec.Info.Width}x{codec.Info.Height}");
        }
        return codec;
    }

    private static string Format(SKCodec codec) => codec.EncodedFormat switch
    {
        SKEncodedImageFormat.Jpeg => "JPEG",
        SKEncodedImageFormat.Png => "PNG",
        SKEncodedImageFormat.Gif => "GIF",
        SKEncodedImageFormat.Bmp => "BMP",
        var other => other.ToString().ToUpperInvariant(),
    };

    private static string Describe(SKCodecResult result) => result switch
    {
        SKCodecResult.ErrorInInput => "its data has errors: a bad checksum or compressed stream",
        SKCodecResult.InvalidInput => "unrecognized or invalid format",
        SKCodecResult.Unimplemented => "a variant the decoder does not support",
        _ => result.ToString(),
    };
}
