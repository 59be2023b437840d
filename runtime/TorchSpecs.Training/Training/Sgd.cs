using System.Runtime.Intrinsics;
using TorchSharp;
using TorchSharp.Modules;
using TorchSpecs.Data;
using static TorchSharp.torch;

namespace TorchSpecs.Training;

/// <summary>
/// TorchSharp's SGD (momentum, dampening, weight decay, Nesterov, maximize) with the update of a
/// float32 CPU parameter fused into one pass over its weights, gradient and momentum buffer,
/// instead of TorchSharp's five tensor operations, two of which allocate a gradient-sized tensor.
/// Each element gets the operations TorchSharp's kernels perform, in the same order and with the
/// same fused multiply-adds, so weights and momentum buffers come out bit for bit the same (the
/// tests compare them). Other devices, dtypes and non-contiguous tensors take TorchSharp's path.
/// </summary>
/// <remarks>
/// <para>
/// It is named SGD because TorchSharp's state files record the optimizer's class name and refuse
/// another: under this name, checkpoints written with it and with <c>torch.optim.SGD</c> load
/// into either, the ones written before it existed included.
/// </para>
/// <para>
/// For a large model the update is memory-bound: AlexNet's 58M weights are 232 MB, and the
/// tensor-by-tensor update reads and writes them, their gradients and buffers 14 times a step;
/// this reads them three times and writes them twice. libtorch has a fused SGD kernel
/// (<c>_fused_sgd_</c>), but TorchSharp 0.107 does not bind it.
/// </para>
/// </remarks>
public sealed class SGD : TorchSharp.Modules.SGD
{
    /// <summary>Elements one worker updates at a time: big enough to stream, small enough to balance two cores.</summary>
    private const int Chunk = 1 << 16;

    public SGD(IEnumerable<Parameter> parameters, double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0,
        bool nesterov = false, bool maximize = false)
        : base(parameters, learningRate, momentum, dampening, weightDecay, nesterov, maximize)
    {
    }

    public override Tensor step(Func<Tensor>? closure = null)
    {
        // A parameter the loop cannot take (another device or dtype, a strided tensor) sends the
        // whole step down TorchSharp's own path, which gives the same numbers.
        if (!_parameter_groups.SelectMany(g => g.Parameters).All(Fusable)) return base.step(closure);
        return _step<ParamGroup>(group =>
        {
            var options = group.Options;
            var rule = new Rule((float)options.weight_decay!.Value, (float)options.momentum!.Value, (float)(1 - options.dampening!.Value),
                options.nesterov!.Value, (float)(options.maximize!.Value ? options.LearningRate!.Value : -options.LearningRate!.Value));
            foreach (var param in group.Parameters)
                if (param.grad is { } grad) Fused(param, grad, (State)_state[param.Handle], rule);
        }, closure);
    }

    /// <summary>One step's constants, as TorchSharp's kernels see them (float32; <see cref="Alpha"/> is −lr, or +lr to maximize).</summary>
    private readonly record struct Rule(float WeightDecay, float Momentum, float GradientShare, bool Nesterov, float Alpha);

    private bool Fusable(Parameter param)
    {
        if (param.grad is not { } grad) return true;
        var buffer = ((State)_state[param.Handle]).momentum_buffer;
        return Float32OnCpu(param) && Float32OnCpu(grad) && !grad.is_sparse && grad.numel() == param.numel()
            && (buffer is null || (Float32OnCpu(buffer) && buffer.numel() == param.numel()));

        static bool Float32OnCpu(Tensor t) => t.device_type == DeviceType.CPU && t.dtype == ScalarType.Float32 && t.is_contiguous();
    }

    private static unsafe void Fused(Parameter param, Tensor grad, State state, Rule rule)
    {
        long n = param.numel();
        if (n == 0) return;
        bool first = false;
        if (rule.Momentum != 0 && state.momentum_buffer is null)
        {
            // TorchSharp's first step clones the decayed gradient into the buffer; the kernel writes it.
            state.momentum_buffer = torch.empty_like(param).DetachFromDisposeScope();
            first = true;
        }
        float* p = TensorMemory.Pointer<float>(param), g = TensorMemory.Pointer<float>(grad);
        float* buffer = state.momentum_buffer is { } b ? TensorMemory.Pointer<float>(b) : null;
        long chunks = (n + Chunk - 1) / Chunk;
        if (chunks == 1) Update(p, g, buffer, n, rule, first);
        else
            Parallel.For(0L, chunks, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, torch.get_num_threads()) }, c =>
            {
                long start = c * Chunk;
                Update(p + start, g + start, buffer is null ? null : buffer + start, Math.Min(Chunk, n - start), rule, first);
            });
        // An in-place tensor operation bumps the parameter's version counter, which autograd checks
        // before it uses a saved tensor again; a write through the pointer does not. Multiplying one
        // element by 1 in place (views share the counter) keeps that check working.
        using var flat = param.view(-1);
        using var one = flat.narrow(0, 0, 1);
        one.mul_(1);
    }

    /// <summary>
    /// The per-element arithmetic of TorchSharp's SGD step. Its <c>add(other, alpha)</c> kernel is
    /// <c>fma(other, alpha, self)</c>, its <c>mul_(scalar)</c> a plain product, and the scalars are
    /// float32: d = fma(p, wd, g); buf = fma(d, 1 − dampening, buf·m) (the first step: buf = d);
    /// d = Nesterov ? fma(buf, m, d) : buf; p = fma(d, alpha, p).
    /// </summary>
    private static unsafe void Update(float* p, float* g, float* buf, long n, Rule rule, bool first)
    {
        long i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var wd = Vector256.Create(rule.WeightDecay);
            var m = Vector256.Create(rule.Momentum);
            var share = Vector256.Create(rule.GradientShare);
            var alpha = Vector256.Create(rule.Alpha);
            for (; i <= n - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var pv = Vector256.Load(p + i);
                var d = Vector256.Load(g + i);
                if (rule.WeightDecay != 0) d = Vector256.FusedMultiplyAdd(pv, wd, d);
                if (buf is not null)
                {
                    var bv = first ? d : Vector256.FusedMultiplyAdd(d, share, Vector256.Load(buf + i) * m);
                    bv.Store(buf + i);
                    d = rule.Nesterov ? Vector256.FusedMultiplyAdd(bv, m, d) : bv;
                }
                Vector256.FusedMultiplyAdd(d, alpha, pv).Store(p + i);
            }
        }
        for (; i < n; i++)
        {
            float pv = p[i], d = g[i];
            if (rule.WeightDecay != 0) d = MathF.FusedMultiplyAdd(pv, rule.WeightDecay, d);
            if (buf is not null)
            {
                float bv = first ? d : MathF.FusedMultiplyAdd(d, rule.GradientShare, buf[i] * rule.Momentum);
                buf[i] = bv;
                d = rule.Nesterov ? MathF.FusedMultiplyAdd(bv, rule.Momentum, d) : bv;
            }
            p[i] = MathF.FusedMultiplyAdd(d, rule.Alpha, pv);
        }
    }
}
