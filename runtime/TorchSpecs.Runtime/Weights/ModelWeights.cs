using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs;

/// <summary>A weights file that does not fit the model. The message names the file and lists every tensor that does not fit.</summary>
public sealed class WeightsMismatchException(string message, IReadOnlyList<string> problems) : Exception(message)
{
    /// <summary>Every problem found, in file order, missing tensors last.</summary>
    public IReadOnlyList<string> Problems { get; } = problems;
}

/// <summary>
/// Loads and saves a generated model's weights: PyTorch's <c>torch.save(state_dict)</c> files
/// (<c>.pt</c>/<c>.pth</c>), safetensors, and TorchSharp's exchange format (<see cref="StateDictFile"/>),
/// read by content and written by extension (<see cref="WeightsFile"/>). A file's keys may be the
/// model's own (<c>conv1.weight</c>, the row name) or PyTorch's (<c>features.0.weight</c>) for rows
/// whose spec gives a <c>torch_name</c>: a key whose module path is a row's torch_name is read as that row's.
/// </summary>
public static class ModelWeights
{
    /// <summary>Copies every tensor of the file into <paramref name="module"/>; returns how many were loaded.</summary>
    /// <param name="module">A module generated for <paramref name="model"/>.</param>
    /// <param name="model">Its static description (the generated class's <c>Info</c>), whose rows give the torch names.</param>
    /// <param name="path">A PyTorch, safetensors or TorchSharp state-dict file.</param>
    /// <param name="strict">Every tensor of the model must be in the file, and the file may hold no other. Shapes must match either way.</param>
    /// <param name="torchNames">More PyTorch module paths and the rows they are (<c>["features.0"] = "conv1_1"</c>), for rows the spec gives no torch_name.</param>
    /// <exception cref="WeightsMismatchException">The file's tensors do not fit the model; the message lists every problem.</exception>
    /// <exception cref="WeightsFormatException">The file is not a state dict in a known format.</exception>
    public static int Load(nn.Module module, ModelInfo model, string path, bool strict = true, IReadOnlyDictionary<string, string>? torchNames = null)
    {
        using var content = WeightsFile.Read(path);
        return Load(module, model, content, Path.GetFileName(path), strict, torchNames);
    }

    /// <summary>Copies the tensors of an already read file into <paramref name="module"/>; <paramref name="fileName"/> names it in errors.</summary>
    public static int Load(nn.Module module, ModelInfo model, WeightsContent content, string fileName, bool strict = true, IReadOnlyDictionary<string, string>? torchNames = null)
    {
        var target = module.state_dict();
        var problems = new List<string>();
        var plan = new List<(string Key, Tensor Value)>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);

        foreach (var (fileKey, tensor) in content.Tensors)
        {
            string key = ModelKey(fileKey, model, target, torchNames);
            string named = key == fileKey ? $"'{key}'" : $"'{key}' (file key '{fileKey}')";
            if (seen.TryGetValue(key, out var first))
            {
                problems.Add($"{named} is in the file twice (also as '{first}')");
                continue;
            }
            seen[key] = fileKey;
            if (!target.TryGetValue(key, out var into))
            {
                if (strict) problems.Add($"unexpected tensor {named}: the model has no such parameter or buffer{Hint(fileKey, model)}");
                continue;
            }
            if (!into.shape.SequenceEqual(tensor.shape))
            {
                problems.Add($"tensor {named} has shape {StateDictFile.FormatShape(tensor.shape)} in the file but {StateDictFile.FormatShape(into.shape)} in {model.Name}");
                continue;
            }
            if (into.dtype != tensor.dtype && !(into.is_floating_point() && tensor.is_floating_point()))
            {
                problems.Add($"tensor {named} holds {tensor.dtype} in the file but {into.dtype} in {model.Name}");
                continue;
            }
            plan.Add((key, tensor));
        }
        if (strict)
        {
            foreach (var key in target.Keys.Where(k => !seen.ContainsKey(k)))
            {
                string? torch = TorchKey(key, model);
                problems.Add($"missing tensor '{key}'{(torch is null ? "" : $" (PyTorch name '{torch}')")}: the file does not hold it");
            }
        }
        if (problems.Count > 0) throw new WeightsMismatchException(Message(fileName, model, problems), problems);

        using (no_grad())
        {
            foreach (var (key, value) in plan) target[key].copy_(value);
        }
        return plan.Count;
    }

    /// <summary>One problem on one line; several as a list, the first <see cref="ListedProblems"/> of them.</summary>
    private static string Message(string fileName, ModelInfo model, IReadOnlyList<string> problems)
    {
        if (problems.Count == 1) return $"{fileName} does not fit {model.Name}: {problems[0]}";
        var text = new System.Text.StringBuilder($"{fileName} does not fit {model.Name}: {problems.Count} problems");
        foreach (var problem in problems.Take(ListedProblems)) text.Append("\n  - ").Append(problem);
        if (problems.Count > ListedProblems) text.Append($"\n  ... and {problems.Count - ListedProblems} more");
        return text.ToString();
    }

    private const int ListedProblems = 20;

    /// <summary>
    /// Saves the module's state dict, atomically, in the format of the file's extension (<c>.pt</c>,
    /// <c>.pth</c>: PyTorch; <c>.safetensors</c>; else TorchSharp's) unless <paramref name="format"/> says.
    /// With <paramref name="torchNames"/>, rows with a torch_name are saved under it.
    /// </summary>
    public static void Save(nn.Module module, ModelInfo model, string path, bool torchNames = false, WeightsFormat? format = null)
    {
        var entries = module.state_dict().Select(e => (torchNames ? TorchKey(e.Key, model) ?? e.Key : e.Key, e.Value));
        WeightsFile.Write(path, entries, format);
    }

    /// <summary>
    /// Saves the module's state dict under the PyTorch module paths of <paramref name="torchNames"/>
    /// (<c>["features.0"] = "conv1_1"</c>, e.g. <see cref="TorchvisionNames"/>); rows not in the map keep
    /// their torch_name or their own name.
    /// </summary>
    public static void Save(nn.Module module, ModelInfo model, string path, IReadOnlyDictionary<string, string> torchNames, WeightsFormat? format = null)
    {
        var byRow = torchNames.ToDictionary(e => e.Value, e => e.Key, StringComparer.Ordinal);
        var entries = module.state_dict().Select(e =>
        {
            int dot = e.Key.LastIndexOf('.');
            string key = dot > 0 && byRow.TryGetValue(e.Key.Substring(0, dot), out var torch) ? torch + e.Key.Substring(dot) : TorchKey(e.Key, model) ?? e.Key;
            return (key, e.Value);
        });
        WeightsFile.Write(path, entries, format);
    }

    /// <summary>
    /// The module paths torchvision's AlexNet and VGG give this table's rows: rows up to the adaptive
    /// pool are <c>features.i</c>, counting one module per row and one more for an activation the row
    /// folds in (the ReLU after a conv is its own module there); the adaptive pool is <c>avgpool</c>;
    /// flatten is a function, and the rows after it are <c>classifier.i</c>, counted the same way.
    /// Pass the result as <c>torchNames</c> to <c>Load</c> to read a torchvision state dict.
    /// </summary>
    public static IReadOnlyDictionary<string, string> TorchvisionNames(ModelInfo model)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        string part = "features";
        int index = 0;
        foreach (var layer in model.Layers)
        {
            if (layer.Kind == LayerKind.AdaptiveAvgPool && part == "features")
            {
                names["avgpool"] = layer.Name;
                part = "";
                continue;
            }
            if (layer.Kind == LayerKind.Flatten)
            {
                part = "classifier";
                index = 0;
                continue;
            }
            if (part.Length == 0) throw new ArgumentException($"{model.Name}: row {layer.Name} sits between the adaptive pool and flatten, where torchvision has no module", nameof(model));
            names[$"{part}.{index++}"] = layer.Name;
            if (layer.Activation is not null && layer.Kind != LayerKind.Activation) index++;
        }
        return names;
    }

    /// <summary>The model's key for a file key: itself when the model has it, else mapped through the rows' torch names.</summary>
    internal static string ModelKey(string fileKey, ModelInfo model, IReadOnlyDictionary<string, Tensor> target, IReadOnlyDictionary<string, string>? torchNames = null)
    {
        if (target.ContainsKey(fileKey)) return fileKey;
        int dot = fileKey.LastIndexOf('.');
        if (torchNames is not null && dot > 0 && torchNames.TryGetValue(fileKey.Substring(0, dot), out var row))
            return row + fileKey.Substring(dot);
        foreach (var layer in model.Layers)
        {
            if (layer.TorchName is string torch && fileKey.Length > torch.Length && fileKey.StartsWith(torch, StringComparison.Ordinal) && fileKey[torch.Length] == '.')
                return layer.Name + fileKey.Substring(torch.Length);
        }
        return fileKey;
    }

    internal static string? TorchKey(string modelKey, ModelInfo model)
    {
        foreach (var layer in model.Layers)
        {
            if (layer.TorchName is string torch && modelKey.StartsWith(layer.Name + ".", StringComparison.Ordinal))
                return torch + modelKey.Substring(layer.Name.Length);
        }
        return null;
    }

    private static string Hint(string fileKey, ModelInfo model)
    {
        if (model.Layers.Any(l => l.TorchName is not null) || !fileKey.Contains('.')) return "";
        return $"; {model.Name}'s rows have no torch_name, so PyTorch keys are not mapped (see docs/spec-format.md, torch_name)";
    }

}
