using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using TorchSpecs.Data;
using static TorchSharp.torch;

namespace TorchSpecs.Training;

/// <summary>A checkpoint that is missing, truncated, corrupt or for another model. One line, naming the file.</summary>
public sealed class CheckpointException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What a checkpoint says about its run, besides the weights and the optimizer state.</summary>
public sealed record CheckpointMeta
{
    public int FormatVersion { get; init; } = Checkpoint.FormatVersion;
    public required string Model { get; init; }
    public required string Input { get; init; }
    /// <summary>Epochs completed.</summary>
    public required int Epoch { get; init; }
    public required TrainOptions Options { get; init; }
    public required string DataSet { get; init; }
    public required IReadOnlyList<string> Classes { get; init; }
    public required Normalization Normalization { get; init; }
    public required ScheduleState Schedule { get; init; }
    public required IReadOnlyList<EpochRecord> History { get; init; }
    /// <summary>Best validation accuracy so far (or training accuracy without validation) and its epoch.</summary>
    public double BestAccuracy { get; init; }
    public int BestEpoch { get; init; }
    /// <summary>Epochs without improvement, for early stopping.</summary>
    public int EpochsWithoutImprovement { get; init; }
    public bool Stopped { get; init; }
}

/// <summary>
/// TorchSpecs checkpoint files: magic "TSCKPT01", payload length (int64), payload, SHA-256 of
/// the payload. The payload is the JSON metadata (length-prefixed), the model's state (TorchSharp
/// format, <c>module.save</c>) and the optimizer's state. A file is checked whole (magic, length,
/// hash, model name) before any of it reaches the model, and written atomically: to a temporary
/// file beside it, flushed to disk, then renamed over the old one; a failed save leaves the old
/// file as it was.
/// </summary>
public static class Checkpoint
{
    public const int FormatVersion = 1;
    private static readonly byte[] Magic = "TSCKPT01"u8.ToArray();

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Saves model, optimizer and metadata to <paramref name="path"/> atomically.</summary>
    public static void Save(string path, CheckpointMeta meta, nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer)
    {
        byte[] payload;
        using (var buffer = new MemoryStream())
        {
            using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
            {
                byte[] json = JsonSerializer.SerializeToUtf8Bytes(meta, Json);
                writer.Write(json.Length);
                writer.Write(json);
                model.save(writer);
                optimizer.save_state_dict(writer);
            }
            payload = buffer.ToArray();
        }
        AtomicFile.Write(path, stream =>
        {
            stream.Write(Magic);
            stream.Write(BitConverter.GetBytes((long)payload.Length));
            stream.Write(payload);
            stream.Write(SHA256.HashData(payload));
        });
    }

    /// <summary>Reads only the metadata (after checking the whole file).</summary>
    public static CheckpointMeta ReadMeta(string path) => Open(path).Meta;

    /// <summary>
    /// Loads a checkpoint into a model built from <paramref name="info"/> (and an optimizer, when
    /// given). Throws <see cref="CheckpointException"/> for anything wrong with the file.
    /// </summary>
    public static CheckpointMeta Load(string path, ModelInfo info, nn.Module model, TorchSharp.Modules.OptimizerHelper? optimizer = null)
    {
        var (meta, payload, stateOffset) = Open(path);
        if (!string.Equals(meta.Model, info.Name, StringComparison.Ordinal))
            throw new CheckpointException($"{path}: a checkpoint of model {meta.Model}, not {info.Name}");
        if (meta.Input != info.Input.ToString())
            throw new CheckpointException($"{path}: saved for input {meta.Input}, but {info.Name} now takes {info.Input}");
        try
        {
            using var reader = new BinaryReader(new MemoryStream(payload, stateOffset, payload.Length - stateOffset), Encoding.UTF8);
            model.load(reader, strict: true);
            if (optimizer is not null) optimizer.load_state_dict(reader);
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException($"{path}: its weights do not fit {info.Name} ({FirstLine(e.Message)}); was the spec changed since it was saved?", e);
        }
        return meta;
    }

    private static (CheckpointMeta Meta, byte[] Payload, int StateOffset) Open(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"{path}: checkpoint not found");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (IOException e) { throw new CheckpointException($"{path}: cannot read: {e.Message}", e); }
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new CheckpointException($"{path}: not a TorchSpecs checkpoint (no TSCKPT01 magic)");
        if (bytes.Length < Magic.Length + 8 + 32)
            throw new CheckpointException($"{path}: truncated checkpoint ({bytes.Length} bytes)");
        long length = BitConverter.ToInt64(bytes, Magic.Length);
        long expected = Magic.Length + 8 + length + 32;
        if (length < 4 || bytes.Length != expected)
            throw new CheckpointException(bytes.Length < expected
                ? $"{path}: truncated checkpoint: {bytes.Length} bytes, the header says {expected}"
                : $"{path}: corrupt checkpoint: {bytes.Length} bytes, the header says {expected}");
        byte[] payload = bytes.AsSpan(Magic.Length + 8, (int)length).ToArray();
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(bytes.AsSpan((int)(Magic.Length + 8 + length), 32)))
            throw new CheckpointException($"{path}: corrupt checkpoint: the SHA-256 of its contents does not match");
        int jsonLength = BitConverter.ToInt32(payload, 0);
        CheckpointMeta? meta;
        try { meta = JsonSerializer.Deserialize<CheckpointMeta>(payload.AsSpan(4, jsonLength), Json); }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new CheckpointException($"{path}: unreadable checkpoint metadata ({FirstLine(e.Message)})", e);
        }
        if (meta is null) throw new CheckpointException($"{path}: empty checkpoint metadata");
        if (meta.FormatVersion != FormatVersion)
            throw new CheckpointException($"{path}: checkpoint format {meta.FormatVersion}; this version reads {FormatVersion}");
        return (meta, payload, 4 + jsonLength);
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim().TrimEnd('.');
}

/// <summary>Writes a file so that readers see the old content or the new, never a part.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Calls <paramref name="write"/> on a temporary file beside <paramref name="path"/>, flushes
    /// it to disk and renames it over <paramref name="path"/>. If anything throws, the temporary
    /// file is deleted and <paramref name="path"/> is untouched.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string temp = $"{full}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { }
            throw;
        }
    }
}
