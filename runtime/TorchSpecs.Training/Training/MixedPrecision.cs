using System.Text.Json.Serialization;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TorchSpecs.Training;

/// <summary>The number format of a training step's forward and backward passes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<TrainingPrecision>))]
public enum TrainingPrecision
{
    /// <summary>Everything in float32.</summary>
    Float32,

    /// <summary>
    /// Mixed precision: the forward and backward passes run in bfloat16 (convolutions and dense
    /// layers at twice the float32 rate on CPUs with AVX-512 BF16 or AMX, and on recent GPUs;
    /// slower than float32 where the CPU lacks them), batch normalization keeps float32
    /// parameters and statistics, and the weights the optimizer updates, the moving average,
    /// validation, evaluation and checkpoints stay float32. bfloat16 has float32's range, so no
    /// loss scaling is needed.
    /// </summary>
    BFloat16,
}

/// <summary>
/// bfloat16 compute with float32 master weights, for any module. The optimizer updates the
/// masters (float32 copies of the module's parameters, in <c>parameters()</c> order); while an
/// epoch runs (<see cref="Compute"/>) the module holds bfloat16 copies, gets bfloat16 gradients,
/// which <see cref="CopyGradients"/> hands to the masters, and <see cref="CopyWeights"/> rounds
/// the updated masters back into it. Outside an epoch the module is float32 and holds the
/// masters' exact values, so checkpoints, the moving average and evaluation see float32 weights.
/// <see cref="Trainer"/> does all this with <see cref="TrainOptions.Precision"/>; a loop of one's
/// own uses it as in the example. Converting replaces the module's parameter tensors (TorchSharp's
/// <c>to(dtype)</c>): take <c>parameters()</c> again after an epoch rather than keeping old ones.
/// </summary>
/// <example>
/// <code>
/// using var mixed = new MixedPrecision(model);
/// var sgd = torch.optim.SGD(mixed.Masters, learningRate: 0.1, momentum: 0.9);
/// var step = new TrainingStep(model, sgd, mixed);
/// using (mixed.Compute())
///     foreach (var (x, y) in batches)
///     {
///         step.ZeroGradients();
///         nn.functional.cross_entropy(step.Forward(x), y).backward();
///         step.Update();   // CopyGradients, sgd.step(), CopyWeights
///     }
/// </code>
/// </example>
public sealed class MixedPrecision : IDisposable
{
    private readonly nn.Module _model;
    private readonly Parameter[] _masters;
    private readonly string[] _names;
    private Parameter[]? _compute;

    public MixedPrecision(nn.Module model)
    {
        _model = model;
        var named = model.named_parameters().ToArray();
        _names = named.Select(p => p.name).ToArray();
        using var _ = torch.no_grad();
        _masters = named.Select(p => new Parameter(p.parameter.detach().clone(), p.parameter.requires_grad)).ToArray();
        // The optimizer reads the masters' gradients; give each one a gradient tensor to copy into.
        foreach (var m in _masters.Where(m => m.requires_grad))
        {
            using var zeros = torch.zeros_like(m);
            m.grad = zeros;
        }
    }

    /// <summary>The float32 parameters the optimizer updates.</summary>
    public IEnumerable<Parameter> Masters => _masters;

    /// <summary>The masters by parameter name (for the moving average).</summary>
    public IReadOnlyDictionary<string, Tensor> Named => _names.Zip(_masters, (n, m) => (n, (Tensor)m)).ToDictionary(p => p.n, p => p.Item2, StringComparer.Ordinal);

    /// <summary>Takes the module's current weights as the masters (after loading a checkpoint).</summary>
    public void TakeFromModel()
    {
        using var _ = torch.no_grad();
        foreach (var (m, p) in _masters.Zip(_model.parameters())) m.copy_(p);
    }

    /// <summary>Turns the module to bfloat16 (batch norm excepted) until disposed; then back to float32 holding the masters.</summary>
    public IDisposable Compute()
    {
        ToBFloat16(_model);
        _compute = _model.parameters().ToArray();
        if (_compute.Length != _masters.Length)
            throw new InvalidOperationException($"the module has {_compute.Length} parameters now, {_masters.Length} when training started");
        return new Leave(this);
    }

    /// <summary>The batch as the module in compute takes it.</summary>
    public static Tensor Input(Tensor images) => images.to(ScalarType.BFloat16);

    /// <summary>Clears the module's (bfloat16) gradients before a step (drops them, as <see cref="TrainingStep.ZeroGradients"/> does).</summary>
    public void ZeroGradients() => TrainingStep.DropGradients(_compute ?? _model.parameters().ToArray());

    /// <summary>The module's bfloat16 gradients into the masters' float32 ones.</summary>
    public void CopyGradients()
    {
        using var _ = torch.no_grad();
        for (int i = 0; i < _masters.Length; i++)
        {
            if (!_masters[i].requires_grad) continue;
            using var grad = _masters[i].grad!;
            using var computed = _compute![i].grad;
            if (computed is null) grad.zero_();
            else grad.copy_(computed);
        }
    }

    /// <summary>The updated masters, rounded, into the module.</summary>
    public void CopyWeights()
    {
        using var _ = torch.no_grad();
        for (int i = 0; i < _masters.Length; i++) _compute![i].copy_(_masters[i]);
    }

    /// <summary>
    /// Converts a module for bfloat16 compute: every parameter and floating-point buffer to
    /// bfloat16 except batch normalization's, which libtorch runs in float32 on bfloat16 input.
    /// </summary>
    public static void ToBFloat16(nn.Module model)
    {
        model.to(ScalarType.BFloat16);
        foreach (var m in model.modules())
            if (m is BatchNorm1d or BatchNorm2d or BatchNorm3d) m.to(ScalarType.Float32);
    }

    private void LeaveCompute()
    {
        _compute = null;
        _model.to(ScalarType.Float32);
        using var _ = torch.no_grad();
        foreach (var (m, p) in _masters.Zip(_model.parameters())) p.copy_(m);
    }

    public void Dispose()
    {
        foreach (var m in _masters) m.Dispose();
    }

    private sealed class Leave(MixedPrecision owner) : IDisposable
    {
        public void Dispose() => owner.LeaveCompute();
    }
}
