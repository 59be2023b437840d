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
        var measured = Measure(module, model.Input, batch, device);
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
                problems.Add($"{layer.Name}: {m.TrainableParams:N0} trainable parameters at runtime, the summary says {layer.TrainableParams:N0}");
            if (m.NonTrainableParams != layer.NonTrainableParams)
                problems.Add($"{layer.Name}: {m.NonTrainableParams:N0} non-trainable values at runtime, the summary says {layer.NonTrainableParams:N0}");
        }

        long parameters = module.parameters().Sum(p => p.numel());
        if (parameters != model.TrainableParams)
            problems.Add($"parameters() holds {parameters:N0} elements but the summary's Trainable params is {model.TrainableParams:N0}");

        return new CheckReport(model, measured, parameters, problems);
    }

    /// <summary>Each named child's output shape in one forward pass, and its parameter and buffer counts.</summary>
    public static IReadOnlyList<MeasuredLayer> Measure(nn.Module<Tensor, Tensor> module, TensorShape input, int batch = 2, Device? device = null)
    {
        var shapes = new Dictionary<string, TensorShape>(StringComparer.Ordinal);
        var order = new List<string>();
        var removers = new List<Action>();
        var children = module.named_children().ToList();
        try
        {
            foreach (var (name, child) in children)
            {
                if (child is not nn.Module<Tensor, Tensor> layer) continue;
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
