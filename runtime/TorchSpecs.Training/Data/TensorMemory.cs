using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace TorchSpecs.Data;

/// <summary>Direct access to a CPU tensor's elements, for the loops that replace chains of tensor operations.</summary>
internal static class TensorMemory
{
    /// <summary>
    /// The address of the first element of <paramref name="t"/>, which must be a contiguous CPU
    /// tensor of <typeparamref name="T"/>, valid while <paramref name="t"/> lives.
    /// </summary>
    public static unsafe T* Pointer<T>(Tensor t) where T : unmanaged
    {
        if (t.device_type != DeviceType.CPU || !t.is_contiguous() || t.element_size() != sizeof(T))
            throw new ArgumentException($"expected a contiguous CPU tensor of {typeof(T).Name}, got {t.dtype} on {t.device}", nameof(t));
        if (t.numel() == 0) return null;
        // Tensor.bytes spans the data, but its length is an int: take the first element's address only.
        using var flat = t.view(-1);
        using var first = flat.narrow(0, 0, 1);
        return (T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(first.bytes));
    }
}
