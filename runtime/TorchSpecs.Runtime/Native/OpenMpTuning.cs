using System.Runtime.InteropServices;

namespace TorchSpecs.Native;

/// <summary>
/// libtorch's CPU kernels run on OpenMP threads that, by default, spin while they wait for
/// each other. On a machine whose cores are shared with other busy processes, a spinning
/// thread waits for a partner that is not scheduled: measured here with the load at 7x the
/// core count, 2 threads trained 85 images/s with spinning and 300 images/s with
/// <c>OMP_WAIT_POLICY=PASSIVE</c> (the same as 1 thread). This sets PASSIVE in the process
/// environment (the native one, which libgomp reads when libtorch loads) unless the variable
/// is already set. Call it before the first tensor is made. Linux only.
/// </summary>
public static partial class OpenMpTuning
{
    public const string Variable = "OMP_WAIT_POLICY";

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);

    /// <summary>Sets OMP_WAIT_POLICY=PASSIVE unless it is set; true when it was set here.</summary>
    public static bool Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(Variable) is not null) return false;
        try
        {
            if (SetEnv(Variable, "PASSIVE", 0) != 0) return false;
            Environment.SetEnvironmentVariable(Variable, "PASSIVE");
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}
