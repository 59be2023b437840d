using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs.Training;

/// <summary>
/// The passes of one optimizer step in float32, or in mixed precision through
/// <see cref="MixedPrecision"/>: what <see cref="Trainer"/> runs, and what a benchmark of its
/// step runs, so that both do the same work.
/// </summary>
/// <param name="model">The module (converted by <paramref name="mixed"/>'s <see cref="MixedPrecision.Compute"/> while a mixed step runs).</param>
/// <param name="optimizer">The optimizer over the module's parameters, or over <paramref name="mixed"/>'s masters.</param>
/// <param name="mixed">The float32 masters for a bfloat16 step; null for float32.</param>
public sealed class TrainingStep(nn.Module<Tensor, Tensor> model, optim.Optimizer optimizer, MixedPrecision? mixed = null)
{
    /// <summary>
    /// Clears the gradients the backward pass is about to write, by dropping them (PyTorch's
    /// <c>zero_grad(set_to_none=True)</c>): the backward pass then hands each parameter its
    /// gradient instead of adding it to a zeroed one, which saves writing and reading every
    /// gradient once. A parameter the step does not reach has no gradient, and SGD leaves it as it is.
    /// </summary>
    public void ZeroGradients()
    {
        if (mixed is null) DropGradients(optimizer.parameters());
        else mixed.ZeroGradients();
    }

    internal static void DropGradients(IEnumerable<TorchSharp.Modules.Parameter> parameters)
    {
        foreach (var p in parameters) p.grad = null;
    }

    /// <summary>The module's float32 logits for a float32 batch.</summary>
    public Tensor Forward(Tensor images) =>
        mixed is null ? model.call(images) : model.call(MixedPrecision.Input(images)).to(ScalarType.Float32);

    /// <summary>The optimizer's update from the gradients of the backward pass.</summary>
    public void Update()
    {
        mixed?.CopyGradients();
        optimizer.step();
        mixed?.CopyWeights();
    }
}
