using TorchSharp;
using TorchSpecs.Benchmarks.HandWritten;
using TorchSpecs.Models;
using TorchSpecs.Native;
using static TorchSharp.torch;

namespace TorchSpecs.Benchmarks;

/// <summary>A generated model and the same network written by hand.</summary>
public sealed record NetworkPair(string Name, ModelInfo Info, int Batch, Func<nn.Module<Tensor, Tensor>> HandWritten, Func<nn.Module<Tensor, Tensor>> Generated);

public static class Networks
{
    public static readonly string[] Names = { "AlexNetTorchLrn", "Vgg16Cifar10" };

    /// <summary>AlexNet at batch 16 (the issue's figure); VGG16 on 32x32 images at 64, so that a step is long enough to time.</summary>
    public static NetworkPair Get(string name) => name switch
    {
        "AlexNetTorchLrn" => new(name, AlexNetTorchLrn.Info, 16, () => new HandAlexNetLrn(), () => new AlexNetTorchLrn()),
        "Vgg16Cifar10" => new(name, Vgg16Cifar10.Info, 64, () => new HandVgg16Cifar10(), () => new Vgg16Cifar10()),
        _ => throw new ArgumentException($"no hand-written network for {name}; known: {string.Join(", ", Names)}"),
    };

    private static bool _initialized;

    /// <summary>Threads = cores and the glibc malloc tuning, once per process, for both sides alike.</summary>
    public static void InitializeProcess()
    {
        if (_initialized) return;
        _initialized = true;
        MallocTuning.Apply();
        torch.set_num_threads(Environment.ProcessorCount);
    }

    /// <summary>
    /// Proves that the two are the same network: with the hand-written weights copied into the
    /// generated module (parameter by parameter, in registration order, shapes checked), both
    /// give the same output on the same input. Throws otherwise.
    /// </summary>
    public static void AssertSameNetwork(nn.Module<Tensor, Tensor> hand, nn.Module<Tensor, Tensor> generated, long[] inputShape)
    {
        var from = hand.parameters().ToList();
        var to = generated.parameters().ToList();
        if (from.Count != to.Count) throw new InvalidOperationException($"{from.Count} parameters by hand, {to.Count} generated");
        using (torch.no_grad())
        {
            for (int i = 0; i < from.Count; i++)
            {
                if (!from[i].shape.SequenceEqual(to[i].shape))
                    throw new InvalidOperationException($"parameter {i}: [{string.Join(",", from[i].shape)}] by hand, [{string.Join(",", to[i].shape)}] generated");
                to[i].copy_(from[i]);
            }
            hand.eval();
            generated.eval();
            using var scope = torch.NewDisposeScope();
            var x = torch.randn(inputShape);
            var a = hand.call(x);
            var b = generated.call(x);
            if (!a.allclose(b, rtol: 1e-4, atol: 1e-5))
                throw new InvalidOperationException($"outputs differ: max |difference| {(a - b).abs().max().item<float>()}");
        }
    }
}

/// <summary>One model in one mode, with its input ready: what a benchmark invocation runs.</summary>
public sealed class Workload : IDisposable
{
    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly Tensor _input;
    private readonly Tensor _target;

    public Workload(nn.Module<Tensor, Tensor> model, ModelInfo info, int batch, bool train)
    {
        _model = model;
        _input = torch.randn(info.Input.ToTorch(batch));
        _target = torch.randint(0, info.Classes, new long[] { batch }, dtype: ScalarType.Int64);
        if (train) _model.train(); else _model.eval();
    }

    /// <summary>Forward in evaluation and inference mode.</summary>
    public void Forward()
    {
        using var inference = torch.inference_mode();
        using var scope = torch.NewDisposeScope();
        _model.call(_input);
    }

    /// <summary>Forward, cross-entropy and backward in training mode; gradients reset first.</summary>
    public void ForwardBackward()
    {
        using var scope = torch.NewDisposeScope();
        _model.zero_grad();
        var loss = nn.functional.cross_entropy(_model.call(_input), _target);
        loss.backward();
    }

    public void Dispose()
    {
        _input.Dispose();
        _target.Dispose();
        _model.Dispose();
    }
}

/// <summary>Hand-written and generated workloads of one network, built once per process with identical weights.</summary>
public static class Workloads
{
    private static readonly Dictionary<(string, bool, bool), Workload> Cache = new();
    private static readonly HashSet<string> Checked = new();

    /// <summary>A/A control: the "generated" side is a second hand-written instance, to show the method's own bias.</summary>
    public static bool Control { get; set; }

    public static Workload Get(string network, bool generated, bool train)
    {
        Networks.InitializeProcess();
        if (Cache.TryGetValue((network, generated, train), out var workload)) return workload;
        var pair = Networks.Get(network);
        torch.manual_seed(42);
        var hand = pair.HandWritten();
        torch.manual_seed(42);
        var gen = Control ? pair.HandWritten() : pair.Generated();
        Networks.AssertSameNetwork(hand, gen, pair.Info.Input.ToTorch(2));
        Checked.Add(network);
        Cache[(network, false, train)] = new Workload(hand, pair.Info, pair.Batch, train);
        Cache[(network, true, train)] = new Workload(gen, pair.Info, pair.Batch, train);
        return Cache[(network, generated, train)];
    }

    /// <summary>Frees a network's models of one mode (to keep at most one network in memory).</summary>
    public static void Release(string network, bool train)
    {
        foreach (bool generated in new[] { false, true })
            if (Cache.Remove((network, generated, train), out var w)) w.Dispose();
    }
}
