using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs;

/// <summary>What one layer did in a real forward pass.</summary>
public sealed record MeasuredLayer(string Name, TensorShape Output, long TrainableParams, long NonTrainableParams);

/// <summary>A model measured on a live module, against its static layer table.</summary>
public sealed record CheckReport(ModelInfo Model, IReadOnlyList<MeasuredLayer> Layers, long ParametersElementCount, IReadOnlyList<string> Problems)
{
    public bool Passed => Problems.Count == 0;
}

/// <summary>
/// Builds a model, runs a forward pass on a small random batch with forward hooks on every
/// row, and compares each row's runtime output shape and parameter counts with the spec.
/// </summary>
public static class ModelCheck
{
    public static CheckReport Run(ModelInfo model, int batch = 2, Device? device = null)
    {
        using var scope = NewDisposeScope();
        using var module = model.Create(device);
        module.eval();
        var measured = Measure(model, module, batch, device);
        var problems = new List<string>();

        var byName = measured.ToDictionary(m => m.Name, StringComparer.Ordinal);
        foreach (var layer in model.Layers)
        {
            if (!byName.TryGetValue(layer.Name, out var m))
            {
                problems.Add($"{layer.Name}: no module of that name ran in the forward pass");
                continue;
            }
            if (m.Output != layer.Output)
                problems.Add($"{layer.Name}: runtime output is {m.Output} but the spec says {layer.Output}");
            if (m.TrainableParams != layer.TrainableParams)
                problems.Add($"{layer.Name}: {ModelSummary.Thousands(m.TrainableParams)} trainable parameters at runtime, the summary says {ModelSummary.Thousands(layer.TrainableParams)}");
            if (m.NonTrainableParams != layer.NonTrainableParams)
                problems.Add($"{layer.Name}: {ModelSummary.Thousands(m.NonTrainableParams)} non-trainable values at runtime, the summary says {ModelSummary.Thousands(layer.NonTrainableParams)}");
        }

        long parameters = module.parameters().Sum(p => p.numel());
        if (parameters != model.TrainableParams)
            problems.Add($"parameters() holds {ModelSummary.Thousands(parameters)} elements but the summary's Trainable params is {ModelSummary.Thousands(model.TrainableParams)}");

        return new CheckReport(model, measured, parameters, problems);
    }

    /// <summary>
    /// Each row of <paramref name="model"/> measured on <paramref name="module"/> (built from it): the
    /// row's output shape in one forward pass, and its parameter and buffer counts. The padding
    /// module the generator puts before a row with uneven padding (property <c>&lt;Row&gt;Pad</c>,
    /// component <c>&lt;row&gt;_pad</c>) is part of that row, not a row of its own: its output is the
    /// padded input, and its parameters (none) count to the row.
    /// </summary>
    public static IReadOnlyList<MeasuredLayer> Measure(ModelInfo model, nn.Module<Tensor, Tensor> module, int batch = 2, Device? device = null)
    {
        var rows = new HashSet<string>(model.Layers.Select(l => l.Name), StringComparer.Ordinal);
        var measured = Measure(module, model.Input, batch, device, rows.Contains);
        var children = module.named_children().ToDictionary(c => c.name, c => c.module, StringComparer.Ordinal);
        return measured.Select(m =>
        {
            if (!children.TryGetValue(m.Name + "_pad", out var pad) || rows.Contains(m.Name + "_pad")) return m;
            long trainable = pad.parameters().Sum(p => p.numel());
            long buffers = pad.named_buffers().Where(b => b.name is "running_mean" or "running_var").Sum(b => b.buffer.numel());
            return m with { TrainableParams = m.TrainableParams + trainable, NonTrainableParams = m.NonTrainableParams + buffers };
        }).ToList();
    }

    /// <summary>
    /// Each named child's output shape in one forward pass, and its parameter and buffer counts:
    /// every child, or those <paramref name="include"/> accepts.
    /// </summary>
    public static IReadOnlyList<MeasuredLayer> Measure(nn.Module<Tensor, Tensor> module, TensorShape input, int batch = 2, Device? device = null, Func<string, bool>? include = null)
    {
        var shapes = new Dictionary<string, TensorShape>(StringComparer.Ordinal);
        var order = new List<string>();
        var removers = new List<Action>();
        var children = module.named_children().ToList();
        try
        {
            foreach (var (name, child) in children)
            {
                if (child is not nn.Module<Tensor, Tensor> layer || (include is not null && !include(name))) continue;
                string key = name;
                var handle = layer.register_forward_hook((_, _, output) =>
                {
                    shapes[key] = TensorShape.FromTorch(output.shape);
                    order.Add(key);
                    return null!; // null keeps the output (TorchSharp convention)
                });
                removers.Add(() => handle.remove());
            }
            using var noGrad = no_grad();
            using var x = randn(input.ToTorch(batch), device: device);
            using var y = module.call(x);
        }
        finally
        {
            foreach (var remove in removers) remove();
        }

        var result = new List<MeasuredLayer>();
        foreach (var name in order)
        {
            var child = children.First(c => c.Item1 == name).Item2;
            long trainable = child.parameters().Sum(p => p.numel());
            long buffers = child.named_buffers().Where(b => b.Item1 is "running_mean" or "running_var").Sum(b => b.Item2.numel());
            result.Add(new MeasuredLayer(name, shapes[name], trainable, buffers));
        }
        return result;
    }
}
