using System.Globalization;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs;

/// <summary>A device that was asked for but is not there, or a device name that cannot be read.</summary>
public sealed class DeviceSelectionException(string message) : Exception(message);

/// <summary>
/// Turns a device name (<c>cpu</c>, <c>cuda</c>, <c>cuda:N</c> or <c>auto</c>) into a TorchSharp
/// <see cref="Device"/>, checking that it exists: asking for CUDA where there is none is a
/// <see cref="DeviceSelectionException"/> that says so, not a native crash at the first tensor.
/// </summary>
public static class DeviceSelection
{
    /// <summary>The names <see cref="Parse(string)"/> accepts.</summary>
    public const string Names = "cpu, cuda, cuda:N or auto";

    /// <summary>Parses <paramref name="name"/> against this machine's CUDA devices.</summary>
    public static Device Parse(string name) => Parse(name, CudaDevices());

    /// <summary>
    /// Parses <paramref name="name"/> for a machine with <paramref name="cudaDevices"/> CUDA devices
    /// (0: none, or a CPU-only libtorch). <c>auto</c> is the first CUDA device when there is one, else the CPU.
    /// </summary>
    public static Device Parse(string name, int cudaDevices)
    {
        string text = (name ?? "").Trim().ToLowerInvariant();
        if (text == "cpu") return torch.CPU;
        if (text == "auto") return cudaDevices > 0 ? new Device(DeviceType.CUDA, 0) : torch.CPU;
        if (text == "cuda" || text.StartsWith("cuda:", StringComparison.Ordinal))
        {
            int index = 0;
            if (text.Length > 4 && (!int.TryParse(text[5..], NumberStyles.None, CultureInfo.InvariantCulture, out index)))
                throw new DeviceSelectionException($"device '{name}': expected {Names}");
            if (cudaDevices == 0)
                throw new DeviceSelectionException($"device '{name}': CUDA is not available here (no CUDA device, or this libtorch is the CPU build: it needs the TorchSharp-cuda-linux or TorchSharp-cuda-windows package and an NVIDIA driver); use cpu");
            if (index >= cudaDevices)
                throw new DeviceSelectionException($"device '{name}': there {(cudaDevices == 1 ? "is 1 CUDA device (cuda:0)" : $"are {cudaDevices} CUDA devices (cuda:0 to cuda:{cudaDevices - 1})")}");
            return new Device(DeviceType.CUDA, index);
        }
        throw new DeviceSelectionException($"device '{name}': expected {Names}");
    }

    /// <summary>The number of CUDA devices libtorch sees (0 with the CPU build).</summary>
    public static int CudaDevices()
    {
        try { return torch.cuda.is_available() ? torch.cuda.device_count() : 0; }
        catch (Exception e) when (e is TypeInitializationException or NotSupportedException or DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>The device a module's parameters are on (the CPU for a module without parameters).</summary>
    public static Device Of(nn.Module module)
    {
        foreach (var p in module.parameters()) return p.device;
        return torch.CPU;
    }

    /// <summary>"cpu" or "cuda:0".</summary>
    public static string Describe(Device device) =>
        device.type == DeviceType.CUDA ? $"cuda:{Math.Max(0, device.index).ToString(CultureInfo.InvariantCulture)}" : device.type.ToString().ToLowerInvariant();
}
