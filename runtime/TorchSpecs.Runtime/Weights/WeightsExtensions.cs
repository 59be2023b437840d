using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs;

/// <summary>
/// <c>module.LoadWeights(Model.Info, path)</c> and <c>module.SaveWeights(Model.Info, path)</c> for any
/// module built from a <see cref="ModelInfo"/> (generated classes also have their own
/// <c>LoadWeights(path)</c>). See <see cref="ModelWeights"/>.
/// </summary>
public static class WeightsExtensions
{
    /// <summary>Reads a PyTorch (<c>.pt</c>/<c>.pth</c>), safetensors or TorchSharp state dict into the module; returns how many tensors were loaded.</summary>
    public static int LoadWeights(this nn.Module module, ModelInfo model, string path, bool strict = true) =>
        ModelWeights.Load(module, model, path, strict);

    /// <summary>
    /// Writes the module's state dict in the format of the extension (<c>.pt</c>/<c>.pth</c>: PyTorch's
    /// <c>torch.save</c> zip; <c>.safetensors</c>; else TorchSharp's), atomically. With
    /// <paramref name="torchNames"/> (the default) rows with a <c>torch_name</c> are saved under it,
    /// so torchvision's <c>load_state_dict(strict=True)</c> accepts the file where the spec gives them all.
    /// </summary>
    public static void SaveWeights(this nn.Module module, ModelInfo model, string path, bool torchNames = true) =>
        ModelWeights.Save(module, model, path, torchNames);
}
