using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSpecs.Tests.Diagnostics;

namespace TorchSpecs.Tests.Schema;

/// <summary>
/// The editor engine: yaml-language-server (pinned in tests/editor/package.json, installed there
/// by <c>npm ci</c> on first use), spoken to over stdio with the Language Server Protocol, as VS
/// Code's YAML extension does.
/// </summary>
public sealed class YamlLanguageServer : IDisposable
{
    private static readonly object InstallLock = new();
    private static string? _installed;

    private readonly Process _process;
    private readonly Thread _reader;
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode?>> _pending = new();
    private readonly ConcurrentDictionary<string, JsonArray> _diagnostics = new();
    private readonly StringBuilder _stderr = new();
    private int _nextId;

    public static string EditorDirectory => RepoFiles.PathOf("tests/editor");

    /// <summary>How long npm ci took in this test run (zero when node_modules was already there).</summary>
    public static TimeSpan InstallTime { get; private set; }

    /// <summary>The server's entry script; runs <c>npm ci</c> first when it is not installed. Fails (never skips) without node or npm.</summary>
    public static string Install()
    {
        lock (InstallLock)
        {
            if (_installed is not null) return _installed;
            string script = Path.Combine(EditorDirectory, "node_modules", "yaml-language-server", "bin", "yaml-language-server");
            if (!File.Exists(script) || InstalledVersion() != PinnedVersion())
            {
                var watch = Stopwatch.StartNew();
                var (code, output) = Run("npm", "ci --no-audit --no-fund", EditorDirectory, TimeSpan.FromMinutes(5));
                InstallTime = watch.Elapsed;
                if (code != 0 || !File.Exists(script))
                    throw new InvalidOperationException(
                        $"The editor tests need yaml-language-server, installed by 'npm ci' in {EditorDirectory} from the npm registry, and that failed (exit {code}): " +
                        "install node and npm and make the npm registry reachable.\n" + output);
            }
            return _installed = script;
        }
    }

    /// <summary>The version package-lock.json pins.</summary>
    public static string PinnedVersion() =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(EditorDirectory, "package-lock.json")))!["packages"]!["node_modules/yaml-language-server"]!["version"]!.GetValue<string>();

    private static string? InstalledVersion()
    {
        string manifest = Path.Combine(EditorDirectory, "node_modules", "yaml-language-server", "package.json");
        return File.Exists(manifest) ? JsonNode.Parse(File.ReadAllText(manifest))?["version"]?.GetValue<string>() : null;
    }

    private static (int Code, string Output) Run(string file, string arguments, string directory, TimeSpan timeout)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo(file, arguments)
            {
                WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            })!;
            var stderr = process.StandardError.ReadToEndAsync();
            string stdout = process.StandardOutput.ReadToEnd();
            if (!process.WaitForExit(timeout)) { process.Kill(entireProcessTree: true); return (-1, $"{file} {arguments} timed out\n{stdout}"); }
            return (process.ExitCode, stdout + stderr.Result);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (-1, $"{file} could not be started: {e.Message}");
        }
    }

    public YamlLanguageServer()
    {
        string script = Install();
        var start = new ProcessStartInfo("node", $"\"{script}\" --stdio")
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        _process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started");
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = "yaml-language-server reader" };
        _reader.Start();

        Request("initialize", new JsonObject
        {
            ["processId"] = Environment.ProcessId,
            ["rootUri"] = Uri(RepoFiles.Root),
            ["capabilities"] = new JsonObject { ["textDocument"] = new JsonObject { ["completion"] = new JsonObject { ["completionItem"] = new JsonObject { ["snippetSupport"] = false } } } },
        });
        Notify("initialized", new JsonObject());
        // The settings VS Code's YAML extension sends; no schema store: only the modeline names the schema.
        Notify("workspace/didChangeConfiguration", new JsonObject
        {
            ["settings"] = new JsonObject { ["yaml"] = new JsonObject { ["validate"] = true, ["completion"] = true, ["hover"] = true, ["schemaStore"] = new JsonObject { ["enable"] = false } } },
        });
    }

    public static string Uri(string path) => new Uri(Path.GetFullPath(path)).AbsoluteUri;

    private void Send(JsonObject message)
    {
        byte[] body = Encoding.UTF8.GetBytes(message.ToJsonString());
        lock (_process)
        {
            var stdin = _process.StandardInput.BaseStream;
            stdin.Write(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n\r\n"));
            stdin.Write(body);
            stdin.Flush();
        }
    }

    public JsonNode? Request(string method, JsonObject parameters, TimeSpan? timeout = null)
    {
        int id = Interlocked.Increment(ref _nextId);
        var done = new TaskCompletionSource<JsonNode?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = done;
        Send(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = id, ["method"] = method, ["params"] = parameters });
        if (!done.Task.Wait(timeout ?? TimeSpan.FromSeconds(60)))
            throw new TimeoutException($"yaml-language-server did not answer {method}; its stderr:\n{Stderr}");
        return done.Task.Result;
    }

    public void Notify(string method, JsonObject parameters) =>
        Send(new JsonObject { ["jsonrpc"] = "2.0", ["method"] = method, ["params"] = parameters });

    private string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    private void ReadLoop()
    {
        var stdout = _process.StandardOutput.BaseStream;
        try
        {
            while (true)
            {
                int length = -1;
                string? line;
                while ((line = ReadLine(stdout)) is { Length: > 0 })
                    if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                        length = int.Parse(line.AsSpan(15).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                if (line is null || length < 0) return;
                var body = new byte[length];
                stdout.ReadExactly(body);
                Handle(JsonNode.Parse(body)!.AsObject());
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or EndOfStreamException)
        {
        }
        finally
        {
            foreach (var pending in _pending.Values) pending.TrySetException(new IOException("yaml-language-server exited; its stderr:\n" + Stderr));
        }
    }

    private static string? ReadLine(Stream stream)
    {
        var bytes = new List<byte>();
        int b;
        while ((b = stream.ReadByte()) >= 0)
        {
            if (b == '\n') return Encoding.ASCII.GetString(bytes.ToArray()).TrimEnd('\r');
            bytes.Add((byte)b);
        }
        return null;
    }

    private void Handle(JsonObject message)
    {
        if (message["method"] is JsonValue method)
        {
            string name = method.GetValue<string>();
            if (message["id"] is JsonNode requestId)
            {
                // Requests from the server: no configuration of ours beyond the settings sent.
                JsonNode? result = name == "workspace/configuration"
                    ? new JsonArray(message["params"]!["items"]!.AsArray().Select(_ => (JsonNode?)null).ToArray())
                    : null;
                Send(new JsonObject { ["jsonrpc"] = "2.0", ["id"] = requestId.DeepClone(), ["result"] = result });
            }
            else if (name == "textDocument/publishDiagnostics")
            {
                _diagnostics[message["params"]!["uri"]!.GetValue<string>()] = message["params"]!["diagnostics"]!.AsArray();
            }
            return;
        }
        if (message["id"] is JsonValue id && _pending.TryRemove(id.GetValue<int>(), out var pending))
        {
            if (message["error"] is JsonNode error) pending.TrySetException(new InvalidOperationException("yaml-language-server: " + error.ToJsonString()));
            else pending.TrySetResult(message["result"]);
        }
    }

    public void Open(string uri, string text) => Notify("textDocument/didOpen", new JsonObject
    {
        ["textDocument"] = new JsonObject { ["uri"] = uri, ["languageId"] = "yaml", ["version"] = 1, ["text"] = text },
    });

    /// <summary>The problems the server published for each document, waiting until it has published for all.</summary>
    public Dictionary<string, JsonArray> Diagnostics(IReadOnlyCollection<string> uris, TimeSpan? timeout = null)
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(90));
        while (uris.Any(u => !_diagnostics.ContainsKey(u)))
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"no diagnostics published for {string.Join(", ", uris.Where(u => !_diagnostics.ContainsKey(u)))}; stderr:\n{Stderr}");
            Thread.Sleep(50);
        }
        return uris.ToDictionary(u => u, u => _diagnostics[u]);
    }

    /// <summary>The labels the server offers at a zero-based line and character.</summary>
    public List<string> Completion(string uri, int line, int character)
    {
        var result = Request("textDocument/completion", new JsonObject
        {
            ["textDocument"] = new JsonObject { ["uri"] = uri },
            ["position"] = new JsonObject { ["line"] = line, ["character"] = character },
        });
        var items = result is JsonArray array ? array : result?["items"]?.AsArray() ?? new JsonArray();
        return items.Select(i => i!["label"]!.GetValue<string>()).ToList();
    }

    public void Dispose()
    {
        try
        {
            Request("shutdown", new JsonObject(), TimeSpan.FromSeconds(10));
            Notify("exit", new JsonObject());
            if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is IOException or TimeoutException or InvalidOperationException or AggregateException)
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}
