using System.Diagnostics;
using System.Runtime.InteropServices;
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
    /// <summary>The input normalization (null when the data came normalized, e.g. from a DataLoader).</summary>
    public required Normalization? Normalization { get; init; }
    public required ScheduleState Schedule { get; init; }
    public required IReadOnlyList<EpochRecord> History { get; init; }
    /// <summary>Best validation accuracy so far (or training accuracy without validation) and its epoch.</summary>
    public double BestAccuracy { get; init; }
    public int BestEpoch { get; init; }
    /// <summary>Epochs without improvement, for early stopping.</summary>
    public int EpochsWithoutImprovement { get; init; }
    public bool Stopped { get; init; }
    /// <summary>The expanded layer table the weights were trained for (null for a module without a spec).</summary>
    public IReadOnlyList<LayerFingerprint>? Spec { get; init; }
    /// <summary>Options changed on purpose when the run was resumed, with the epoch after which each took effect.</summary>
    public IReadOnlyList<OptionChange> OptionChanges { get; init; } = Array.Empty<OptionChange>();
    /// <summary>True when the file also holds the weights' moving average (<see cref="TrainOptions.EmaDecay"/>).</summary>
    public bool HasAverage { get; init; }
    /// <summary>Steps the weight average has taken (its decay is warmed up by them).</summary>
    public long AverageUpdates { get; init; }

    public bool Equals(CheckpointMeta? other) =>
        other is not null && FormatVersion == other.FormatVersion && Model == other.Model && Input == other.Input && Epoch == other.Epoch
        && Options == other.Options && DataSet == other.DataSet && Classes.SequenceEqual(other.Classes)
        && Equals(Normalization, other.Normalization) && Schedule == other.Schedule && History.SequenceEqual(other.History)
        && BestAccuracy.Equals(other.BestAccuracy) && BestEpoch == other.BestEpoch && EpochsWithoutImprovement == other.EpochsWithoutImprovement
        && Stopped == other.Stopped && (Spec ?? Array.Empty<LayerFingerprint>()).SequenceEqual(other.Spec ?? Array.Empty<LayerFingerprint>())
        && OptionChanges.SequenceEqual(other.OptionChanges) && HasAverage == other.HasAverage && AverageUpdates == other.AverageUpdates;

    public override int GetHashCode() => HashCode.Combine(Model, Input, Epoch, Options, DataSet, History.Count, BestEpoch);
}

/// <summary>
/// TorchSpecs checkpoint files: magic "TSCKPT01", payload length (int64), payload, SHA-256 of
/// the payload. The payload is the JSON metadata (length-prefixed), the model's state (TorchSharp
/// format, <c>module.save</c>), the optimizer's state and, with EMA on, the averaged weights.
/// A file is checked whole (magic, length, hash, model name, spec fingerprint) before any of it
/// reaches the model, and written atomically: to a temporary file beside it, fsynced, renamed
/// over the old one, and the folder fsynced; a failed save leaves the old file as it was.
/// </summary>
public static class Checkpoint
{
    public const int FormatVersion = 2;
    private static readonly byte[] Magic = "TSCKPT01"u8.ToArray();

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>Saves model, optimizer, averaged weights and metadata to each of <paramref name="paths"/>, atomically.</summary>
    public static void Save(IReadOnlyList<string> paths, CheckpointMeta meta, nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer,
        IReadOnlyDictionary<string, Tensor>? average = null)
    {
        byte[] payload;
        using (var buffer = new MemoryStream())
        {
            using (var writer = new BinaryWriter(buffer, Encoding.UTF8, leaveOpen: true))
            {
                byte[] json = JsonSerializer.SerializeToUtf8Bytes(meta with { HasAverage = average is not null }, Json);
                writer.Write(json.Length);
                writer.Write(json);
                model.save(writer);
                if (average is not null) WriteTensors(writer, average);
                optimizer.save_state_dict(writer);
            }
            payload = buffer.ToArray();
        }
        byte[] hash = SHA256.HashData(payload);
        foreach (var path in paths)
            AtomicFile.Write(path, stream =>
            {
                stream.Write(Magic);
                stream.Write(BitConverter.GetBytes((long)payload.Length));
                stream.Write(payload);
                stream.Write(hash);
            });
    }

    /// <summary>Saves to one path.</summary>
    public static void Save(string path, CheckpointMeta meta, nn.Module model, TorchSharp.Modules.OptimizerHelper optimizer,
        IReadOnlyDictionary<string, Tensor>? average = null) => Save(new[] { path }, meta, model, optimizer, average);

    /// <summary>Reads only the metadata (after checking the whole file: magic, length, hash).</summary>
    public static CheckpointMeta ReadMeta(string path) => Open(path).Meta;

    /// <summary>
    /// Checks that a checkpoint is for <paramref name="info"/>: its model name, input and layer
    /// table (kinds, shapes, activations, parameters and every per-layer attribute). Throws a
    /// <see cref="CheckpointException"/> saying what changed.
    /// </summary>
    public static void CheckFits(string path, CheckpointMeta meta, ModelInfo info)
    {
        if (!string.Equals(meta.Model, info.Name, StringComparison.Ordinal))
            throw new CheckpointException($"{path}: a checkpoint of model {meta.Model}, not {info.Name}");
        if (meta.Input != info.Input.ToString())
            throw new CheckpointException($"{path}: saved for input {meta.Input}, but {info.Name} now takes {info.Input}");
        if (meta.Spec is null) return;
        var changes = LayerFingerprint.Compare(meta.Spec, LayerFingerprint.Of(info));
        if (changes.Count > 0)
            throw new CheckpointException($"{path}: {info.Name}'s spec changed since this checkpoint was saved: {string.Join("; ", changes.Take(8))}" +
                (changes.Count > 8 ? $"; and {changes.Count - 8} more" : "") + "; its weights were trained for the old layers");
    }

    /// <summary>Which weights <see cref="Load"/> puts into the model.</summary>
    public enum Weights
    {
        /// <summary>The weights to evaluate: the moving average when the run kept one, else the trained weights.</summary>
        Evaluation,
        /// <summary>The trained weights (and the average into the trainer's copy), to go on training.</summary>
        Training,
    }

    /// <summary>
    /// Loads a checkpoint into <paramref name="model"/> (and an optimizer, when given). With
    /// <paramref name="info"/>, the checkpoint must be for that spec (<see cref="CheckFits"/>).
    /// Throws <see cref="CheckpointException"/> for anything wrong with the file.
    /// </summary>
    public static CheckpointMeta Load(string path, ModelInfo? info, nn.Module model, TorchSharp.Modules.OptimizerHelper? optimizer = null,
        Weights weights = Weights.Evaluation, IDictionary<string, Tensor>? average = null)
    {
        var (meta, payload, stateOffset) = Open(path);
        if (info is not null) CheckFits(path, meta, info);
        string name = info?.Name ?? model.GetName();
        try
        {
            using var reader = new BinaryReader(new MemoryStream(payload, stateOffset, payload.Length - stateOffset), Encoding.UTF8);
            model.load(reader, strict: true);
            if (meta.HasAverage)
            {
                var stored = ReadTensors(reader);
                try
                {
                    if (weights == Weights.Evaluation) CopyInto(model, stored);
                    else if (average is not null)
                        using (torch.no_grad())
                            foreach (var (key, tensor) in stored)
                                if (average.TryGetValue(key, out var into)) into.copy_(tensor);
                }
                finally
                {
                    foreach (var t in stored.Values) t.Dispose();
                }
            }
            if (optimizer is not null) optimizer.load_state_dict(reader);
        }
        catch (Exception e) when (e is not CheckpointException)
        {
            throw new CheckpointException($"{path}: its weights do not fit {name} ({FirstLine(e.Message)}); was the model changed since it was saved?", e);
        }
        return meta;
    }

    private static void CopyInto(nn.Module model, IReadOnlyDictionary<string, Tensor> stored)
    {
        var target = model.state_dict();
        using var _ = torch.no_grad();
        foreach (var (key, tensor) in stored)
        {
            if (!target.TryGetValue(key, out var into) || !into.shape.SequenceEqual(tensor.shape))
                throw new CheckpointException($"the averaged weight {key} does not fit the model");
            into.copy_(tensor);
        }
    }

    private static void WriteTensors(BinaryWriter writer, IReadOnlyDictionary<string, Tensor> tensors)
    {
        writer.Write(tensors.Count);
        foreach (var (key, tensor) in tensors.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            writer.Write(key);
            using var cpu = tensor.cpu();
            cpu.Save(writer);
        }
    }

    private static Dictionary<string, Tensor> ReadTensors(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < count; i++)
        {
            string key = reader.ReadString();
            result[key] = Tensor.Load(reader);
        }
        return result;
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
        if (length < 4 || length > bytes.Length)
            throw new CheckpointException($"{path}: {(length > bytes.Length ? "truncated" : "corrupt")} checkpoint: {bytes.Length} bytes, the header says {length} bytes of contents");
        long expected = Magic.Length + 8 + length + 32;
        if (bytes.Length != expected)
            throw new CheckpointException(bytes.Length < expected
                ? $"{path}: truncated checkpoint: {bytes.Length} bytes, the header says {expected}"
                : $"{path}: corrupt checkpoint: {bytes.Length} bytes, the header says {expected}");
        byte[] payload = bytes.AsSpan(Magic.Length + 8, (int)length).ToArray();
        if (!SHA256.HashData(payload).AsSpan().SequenceEqual(bytes.AsSpan((int)(Magic.Length + 8 + length), 32)))
            throw new CheckpointException($"{path}: corrupt checkpoint: the SHA-256 of its contents does not match");
        int jsonLength = BitConverter.ToInt32(payload, 0);
        if (jsonLength < 2 || jsonLength > payload.Length - 4) throw new CheckpointException($"{path}: corrupt checkpoint metadata length {jsonLength}");
        CheckpointMeta? meta;
        try
        {
            using var document = JsonDocument.Parse(payload.AsMemory(4, jsonLength));
            if (document.RootElement.TryGetProperty(nameof(CheckpointMeta.FormatVersion), out var version) && version.TryGetInt32(out int v) && v != FormatVersion)
                throw new CheckpointException($"{path}: checkpoint format {v}; this version of TorchSpecs reads format {FormatVersion}");
            meta = JsonSerializer.Deserialize<CheckpointMeta>(payload.AsSpan(4, jsonLength), Json);
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new CheckpointException($"{path}: unreadable checkpoint metadata ({FirstLine(e.Message)})", e);
        }
        if (meta is null) throw new CheckpointException($"{path}: empty checkpoint metadata");
        return (meta, payload, 4 + jsonLength);
    }

    /// <summary>
    /// Makes <c>best.ckpt</c> agree with <c>last.ckpt</c> in <paramref name="directory"/>: when
    /// the last checkpoint says its own epoch is the best but best.ckpt holds another epoch (a run
    /// killed between the two writes), last.ckpt is copied to best.ckpt, atomically. Returns a
    /// sentence saying what was done, or null when nothing needed doing.
    /// </summary>
    public static string? RepairBest(string directory, string lastFile = "last.ckpt", string bestFile = "best.ckpt")
    {
        string last = Path.Combine(directory, lastFile), best = Path.Combine(directory, bestFile);
        if (!File.Exists(last)) return null;
        var lastMeta = ReadMeta(last);
        int? bestEpoch = null;
        try { if (File.Exists(best)) bestEpoch = ReadMeta(best).Epoch; }
        catch (CheckpointException) { bestEpoch = null; }
        if (bestEpoch == lastMeta.BestEpoch) return null;
        if (lastMeta.BestEpoch != lastMeta.Epoch)
            return bestEpoch is null
                ? $"{best} is missing or unreadable, and the best epoch ({lastMeta.BestEpoch}) is not the last; it is written again when validation improves"
                : null;
        byte[] bytes = File.ReadAllBytes(last);
        AtomicFile.Write(best, s => s.Write(bytes));
        return $"{best} held epoch {(bestEpoch is { } e ? e.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none")}, but {last} (epoch {lastMeta.Epoch}) is the best; copied it (an earlier run was stopped between the two writes)";
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim().TrimEnd('.');
}

/// <summary>
/// One row of a spec's expanded layer table, as a checkpoint records it: what the weights were
/// trained for. Attributes holds the row's applied hyperparameters (<see cref="LayerInfo.Attributes"/>:
/// kernel, stride, resolved padding, BN eps and momentum, dropout rate, LRN constants ...) as
/// "name=value" pairs.
/// </summary>
public sealed record LayerFingerprint(string Name, string Kind, string Input, string Output, long TrainableParams, long NonTrainableParams,
    string? Activation, string Description, string Attributes)
{
    /// <summary>The fingerprint of every row of <paramref name="info"/>.</summary>
    public static IReadOnlyList<LayerFingerprint> Of(ModelInfo info) => info.Layers.Select(l => new LayerFingerprint(
        l.Name, l.TypeName, l.Input.ToString(), l.Output.ToString(), l.TrainableParams, l.NonTrainableParams, l.Activation, l.Description,
        AttributeText(l))).ToArray();

    /// <summary>The row's applied hyperparameters (<see cref="LayerAttributes.Keys"/>) as "name=value; ..." in the spec's key order.</summary>
    internal static string AttributeText(LayerInfo layer) =>
        string.Join("; ", layer.Attributes.Keys().Select(k => $"{k.Key}={Value(k.Value)}"));

    private static string Value(object? value) => value switch
    {
        null => "none",
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        float f => f.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>What changed from <paramref name="saved"/> to <paramref name="current"/>, one phrase per difference ("relu1: activation relu -> tanh").</summary>
    public static IReadOnlyList<string> Compare(IReadOnlyList<LayerFingerprint> saved, IReadOnlyList<LayerFingerprint> current)
    {
        var changes = new List<string>();
        var now = current.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var known = saved.Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var old in saved)
        {
            if (!now.TryGetValue(old.Name, out var l))
            {
                changes.Add($"layer {old.Name} ({old.Description}) was removed");
                continue;
            }
            void Field(string what, string? a, string? b)
            {
                if (!string.Equals(a, b, StringComparison.Ordinal)) changes.Add($"{old.Name}: {what} {a ?? "none"} -> {b ?? "none"}");
            }
            int before = changes.Count;
            Field("type", old.Kind, l.Kind);
            Field("input", old.Input, l.Input);
            Field("output", old.Output, l.Output);
            Field("activation", old.Activation, l.Activation);
            var oldAttributes = Pairs(old.Attributes);
            var newAttributes = Pairs(l.Attributes);
            foreach (var key in oldAttributes.Keys.Union(newAttributes.Keys))
                Field(key, oldAttributes.GetValueOrDefault(key), newAttributes.GetValueOrDefault(key));
            Field("parameters", (old.TrainableParams + old.NonTrainableParams).ToString(System.Globalization.CultureInfo.InvariantCulture),
                (l.TrainableParams + l.NonTrainableParams).ToString(System.Globalization.CultureInfo.InvariantCulture));
            // The description says the row in words; it only tells something the fields above did not.
            if (changes.Count == before) Field("description", $"'{old.Description}'", $"'{l.Description}'");
        }
        foreach (var l in current.Where(l => !known.Contains(l.Name))) changes.Add($"layer {l.Name} ({l.Description}) was added");
        if (changes.Count == 0 && !saved.Select(l => l.Name).SequenceEqual(current.Select(l => l.Name)))
            changes.Add("the layers are in another order");
        return changes.Distinct().ToArray();
    }

    private static Dictionary<string, string> Pairs(string attributes) =>
        attributes.Length == 0
            ? new Dictionary<string, string>()
            : attributes.Split("; ").Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1], StringComparer.Ordinal);
}
