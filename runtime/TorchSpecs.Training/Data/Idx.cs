using System.Globalization;
using System.IO.Compression;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs.Data;

/// <summary>
/// Reads the IDX files of MNIST and Fashion-MNIST (LeCun's format: a 4-byte magic
/// 0x00 0x00 0x08 ndim, ndim big-endian uint32 sizes, then uint8 data), gzip-compressed or plain.
/// </summary>
public static class Idx
{
    /// <summary>Reads a whole IDX file of unsigned bytes. Returns its sizes and data.</summary>
    public static (int[] Dims, byte[] Data) Read(string path, int expectedDims)
    {
        byte[] bytes = ReadMaybeGzip(path);
        string what = expectedDims == 3 ? "an IDX image file (magic 0x00000803)" : $"an IDX file of {expectedDims} axes (magic 0x0000080{expectedDims})";
        if (bytes.Length < 4)
            throw new DataFormatException($"{path}: {bytes.Length} bytes is too short for {what}");
        if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 0x08)
            throw new DataFormatException($"{path}: wrong magic 0x{bytes[0]:x2}{bytes[1]:x2}{bytes[2]:x2}{bytes[3]:x2}, expected {what}");
        if (bytes[3] != expectedDims)
            throw new DataFormatException($"{path}: has {bytes[3]} axes (magic 0x{bytes[0]:x2}{bytes[1]:x2}{bytes[2]:x2}{bytes[3]:x2}), expected {what}");
        int header = 4 + 4 * expectedDims;
        if (bytes.Length < header)
            throw new DataFormatException($"{path}: truncated header ({bytes.Length} bytes), expected {what}");
        var sizes = new uint[expectedDims];
        for (int i = 0; i < expectedDims; i++)
            sizes[i] = (uint)(bytes[4 + 4 * i] << 24 | bytes[5 + 4 * i] << 16 | bytes[6 + 4 * i] << 8 | bytes[7 + 4 * i]);
        string declared = string.Join("x", sizes.Select(d => d.ToString(CultureInfo.InvariantCulture)));
        // The values the header declares, computed so that no product can wrap: sizes whose
        // product is more than the file holds are an error before any array is made.
        long available = bytes.Length - header;
        long elements = 1;
        for (int i = 0; i < expectedDims; i++)
        {
            if (sizes[i] == 0) throw new DataFormatException($"{path}: the header declares sizes {declared}; axis {i} is empty");
            if (sizes[i] > int.MaxValue || elements > available / sizes[i])
                throw new DataFormatException($"{path}: the header declares sizes {declared}, more values than the file's {available} data bytes; truncated or not an IDX file");
            elements *= sizes[i];
        }
        var dims = sizes.Select(d => (int)d).ToArray();
        long expected = header + elements;
        if (bytes.Length != expected)
            throw new DataFormatException(bytes.Length < expected
                ? $"{path}: truncated: {bytes.Length} bytes, expected {expected} for sizes {string.Join("x", dims)}"
                : $"{path}: {bytes.Length - expected} bytes of trailing data after the {string.Join("x", dims)} values the header declares");
        var data = new byte[elements];
        Buffer.BlockCopy(bytes, header, data, 0, (int)elements);
        return (dims, data);
    }

    /// <summary>Reads images (IDX3) and labels (IDX1) into a data set, checking that they agree.</summary>
    public static TensorImageDataSet Load(string name, string imagesPath, string labelsPath, IReadOnlyList<string> classes)
    {
        var (imageDims, pixels) = Read(imagesPath, 3);
        var (labelDims, labels) = Read(labelsPath, 1);
        if (imageDims[0] != labelDims[0])
            throw new DataFormatException($"{labelsPath}: {labelDims[0]} labels, but {imagesPath} has {imageDims[0]} images");
        int bad = Array.FindIndex(labels, l => l >= classes.Count);
        if (bad >= 0)
            throw new DataFormatException($"{labelsPath}: label {labels[bad]} at index {bad}, expected 0..{classes.Count - 1}");
        var images = torch.tensor(pixels, new long[] { imageDims[0], 1, imageDims[1], imageDims[2] }, ScalarType.Byte);
        using var labelBytes = torch.tensor(labels, new long[] { labels.Length }, ScalarType.Byte);
        var labelTensor = labelBytes.to_type(ScalarType.Int64);
        return new TensorImageDataSet(name, images, labelTensor, classes);
    }

    /// <summary>The file's bytes, gunzipped when it starts with the gzip magic; errors name the file.</summary>
    public static byte[] ReadMaybeGzip(string path)
    {
        if (!File.Exists(path)) throw new DataFormatException($"{path}: file not found");
        byte[] raw;
        try { raw = File.ReadAllBytes(path); }
        catch (IOException e) { throw new DataFormatException($"{path}: cannot read: {e.Message}", e); }
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b)
        {
            if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
                throw new DataFormatException($"{path}: not gzip data (no 1f 8b magic), expected a gzip-compressed IDX file");
            return raw;
        }
        try
        {
            using var gzip = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var output = new MemoryStream(raw.Length * 4);
            gzip.CopyTo(output);
            // GZipStream stops quietly at the end of a stream cut after a deflate block: check the trailer's size.
            uint isize = (uint)(raw[^4] | raw[^3] << 8 | raw[^2] << 16 | raw[^1] << 24);
            if ((uint)output.Length != isize)
                throw new InvalidDataException($"decompressed {output.Length} bytes, the gzip trailer says {isize}");
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException($"{path}: truncated or corrupt gzip data ({e.Message.TrimEnd('.')})", e);
        }
    }
}
