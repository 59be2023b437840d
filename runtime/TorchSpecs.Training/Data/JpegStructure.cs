namespace TorchSpecs.Data;

/// <summary>
/// Checks that a JPEG file's entropy-coded data really describes its image: every scan of a
/// Huffman-coded baseline, extended or progressive file is walked block by block (the Huffman
/// codes, the coefficient indices, the restart markers), and must end exactly where its data
/// ends. A truncated file, a scan overwritten with zeros, a file with no scan at all or a scan
/// cut short is found here; decoders (libjpeg included) fill such images with grey or repeat
/// the last row and report success. Pixels are not computed: no dequantization, no IDCT.
/// </summary>
internal static class JpegStructure
{
    /// <summary>Null when the file is a whole JPEG image, else what is wrong with it.</summary>
    public static string? Check(ReadOnlySpan<byte> data)
    {
        try { return new Walker(data.ToArray()).Run(); }
        catch (JpegProblem p) { return p.Message; }
    }

    private sealed class JpegProblem(string message) : Exception(message);

    private sealed class Huffman
    {
        // JPEG Annex F.2.2.3: per code length, the largest code, and where its values start.
        public readonly int[] MaxCode = new int[18];
        public readonly int[] ValPtr = new int[17];
        public readonly int[] MinCode = new int[17];
        public byte[] Values = Array.Empty<byte>();

        public static Huffman Build(ReadOnlySpan<byte> counts, byte[] values)
        {
            var h = new Huffman { Values = values };
            int code = 0, k = 0;
            for (int l = 1; l <= 16; l++)
            {
                int n = counts[l - 1];
                h.ValPtr[l] = k;
                h.MinCode[l] = code;
                code += n;
                k += n;
                h.MaxCode[l] = n == 0 ? -1 : code - 1;
                if (code > 1 << l) throw new JpegProblem($"Huffman table has more codes of length {l} than fit");
                code <<= 1;
            }
            h.MaxCode[17] = int.MaxValue;
            return h;
        }
    }

    private sealed record Component(int Id, int H, int V);

    private sealed class Walker(byte[] d)
    {
        private readonly Huffman?[] _dc = new Huffman?[4], _ac = new Huffman?[4];
        private Component[] _components = Array.Empty<Component>();
        private int _width, _height, _hMax, _vMax, _restart, _frame = -1;
        private ulong[][] _nonzero = Array.Empty<ulong[]>();
        private int _pos;
        // bit reader
        private int _bitBuffer, _bitCount;
        private bool _hitMarker;

        public string? Run()
        {
            if (d.Length < 4 || d[0] != 0xFF || d[1] != 0xD8) return "no JPEG start-of-image marker (FF D8)";
            _pos = 2;
            int scans = 0;
            while (true)
            {
                int marker = NextMarker();
                if (marker < 0)
                    return scans == 0 ? "the file ends before any scan (no SOS marker): there is no image data" : "no end-of-image marker (FF D9): the file is truncated";
                if (marker == 0xD9)
                    return scans == 0 ? "no scan (SOS marker) before the end-of-image marker: there is no image data" : null;
                if (marker is >= 0xD0 and <= 0xD7) throw new JpegProblem($"restart marker FF {marker:X2} outside a scan at byte {_pos - 2}");
                if (marker == 0x01) continue;
                int length = Segment();
                int start = _pos, end = _pos + length - 2;
                switch (marker)
                {
                    case 0xC4: ReadHuffmanTables(start, end); break;
                    case 0xDD:
                        if (length != 4) throw new JpegProblem("DRI segment of the wrong length");
                        _restart = d[start] << 8 | d[start + 1];
                        break;
                    case 0xC0 or 0xC1 or 0xC2: ReadFrame(marker, start, end); break;
                    case >= 0xC3 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC:
                        // Lossless, hierarchical or arithmetic-coded: only the structure is checked.
                        _frame = marker;
                        break;
                    case 0xDA:
                        if (_frame < 0) throw new JpegProblem("a scan (SOS) before the frame header (SOF)");
                        _pos = end;
                        if (_frame is 0xC0 or 0xC1 or 0xC2) Scan(start, end);
                        else SkipEntropyData();
                        scans++;
                        continue;
                }
                _pos = end;
            }
        }

        /// <summary>The next marker's code (after fill bytes), or -1 at the end of the data.</summary>
        private int NextMarker()
        {
            if (_pos >= d.Length) return -1;
            if (d[_pos] != 0xFF) throw new JpegProblem($"expected a marker at byte {_pos}, found 0x{d[_pos]:X2}");
            while (_pos < d.Length && d[_pos] == 0xFF) _pos++;
            if (_pos >= d.Length) return -1;
            return d[_pos++];
        }

        private int Segment()
        {
            if (_pos + 2 > d.Length) throw new JpegProblem("the file ends inside a marker segment: truncated");
            int length = d[_pos] << 8 | d[_pos + 1];
            if (length < 2 || _pos + length > d.Length) throw new JpegProblem($"a marker segment at byte {_pos - 2} runs past the end of the file: truncated");
            _pos += 2;
            return length;
        }

        private void ReadHuffmanTables(int p, int end)
        {
            while (p < end)
            {
                if (p + 17 > end) throw new JpegProblem("truncated Huffman table (DHT)");
                int tc = d[p] >> 4, th = d[p] & 15;
                if (tc > 1 || th > 3) throw new JpegProblem($"Huffman table class {tc} id {th} is out of range");
                var counts = d.AsSpan(p + 1, 16);
                int total = 0;
                foreach (var c in counts) total += c;
                if (total > 256 || p + 17 + total > end) throw new JpegProblem("Huffman table (DHT) with more values than its segment holds");
                var table = Huffman.Build(counts, d.AsSpan(p + 17, total).ToArray());
                (tc == 0 ? _dc : _ac)[th] = table;
                p += 17 + total;
            }
        }

        private void ReadFrame(int marker, int p, int end)
        {
            if (_frame >= 0) throw new JpegProblem("more than one frame header (SOF)");
            if (end - p < 6) throw new JpegProblem("truncated frame header (SOF)");
            _frame = marker;
            _height = d[p + 1] << 8 | d[p + 2];
            _width = d[p + 3] << 8 | d[p + 4];
            int n = d[p + 5];
            if (_width == 0 || _height == 0) throw new JpegProblem($"frame size {_width}x{_height}");
            if (n is 0 or > 4 || end - p < 6 + 3 * n) throw new JpegProblem($"frame header with {n} components");
            _components = new Component[n];
            for (int i = 0; i < n; i++)
            {
                int q = p + 6 + 3 * i;
                int h = d[q + 1] >> 4, v = d[q + 1] & 15;
                if (h is < 1 or > 4 || v is < 1 or > 4) throw new JpegProblem($"component {d[q]} has sampling factors {h}x{v}");
                _components[i] = new Component(d[q], h, v);
            }
            _hMax = _components.Max(c => c.H);
            _vMax = _components.Max(c => c.V);
            int mcusX = Ceil(_width, 8 * _hMax), mcusY = Ceil(_height, 8 * _vMax);
            if (_frame == 0xC2)
                _nonzero = _components.Select(c => new ulong[(long)mcusX * c.H * mcusY * c.V]).ToArray();
        }

        private static int Ceil(int a, int b) => (a + b - 1) / b;

        private void Scan(int p, int end)
        {
            int ns = d[p];
            if (ns is 0 or > 4 || end - p != 4 + 2 * ns) throw new JpegProblem("malformed scan header (SOS)");
            var inScan = new (int Index, Huffman? Dc, Huffman? Ac)[ns];
            for (int i = 0; i < ns; i++)
            {
                int id = d[p + 1 + 2 * i], td = d[p + 2 + 2 * i] >> 4, ta = d[p + 2 + 2 * i] & 15;
                int index = Array.FindIndex(_components, c => c.Id == id);
                if (index < 0) throw new JpegProblem($"the scan names component {id}, which the frame does not have");
                if (td > 3 || ta > 3) throw new JpegProblem("a scan names a Huffman table id over 3");
                inScan[i] = (index, _dc[td], _ac[ta]);
            }
            int ss = d[end - 3], se = d[end - 2], ah = d[end - 1] >> 4, al = d[end - 1] & 15;
            bool progressive = _frame == 0xC2;
            if (!progressive) { ss = 0; se = 63; ah = 0; }
            else if (ss > se || se > 63 || (ss == 0 && se != 0) || (ss > 0 && ns != 1) || al > 13)
                throw new JpegProblem($"progressive scan with spectral selection {ss}..{se}, approximation {ah}/{al}");
            foreach (var c in inScan)
            {
                if ((ss == 0 && ah == 0) && c.Dc is null) throw new JpegProblem("a scan uses a DC Huffman table that was never defined");
                if (se > 0 && c.Ac is null) throw new JpegProblem("a scan uses an AC Huffman table that was never defined");
            }

            _bitBuffer = 0; _bitCount = 0; _hitMarker = false;
            int scanStart = _pos;
            int mcusX = Ceil(_width, 8 * _hMax);
            long total;
            Func<long, (int Comp, int Bx, int By)[]> blocksOf;
            if (ns == 1)
            {
                var c = _components[inScan[0].Index];
                int bw = Ceil(Ceil(_width * c.H, _hMax), 8), bh = Ceil(Ceil(_height * c.V, _vMax), 8);
                total = (long)bw * bh;
                blocksOf = m => new[] { (inScan[0].Index, (int)(m % bw), (int)(m / bw)) };
            }
            else
            {
                int mcusY = Ceil(_height, 8 * _vMax);
                total = (long)mcusX * mcusY;
                blocksOf = m =>
                {
                    int mx = (int)(m % mcusX), my = (int)(m / mcusX);
                    var list = new List<(int, int, int)>();
                    foreach (var (index, _, _) in inScan)
                    {
                        var c = _components[index];
                        for (int v = 0; v < c.V; v++)
                            for (int h = 0; h < c.H; h++) list.Add((index, mx * c.H + h, my * c.V + v));
                    }
                    return list.ToArray();
                };
            }

            int eobRun = 0, expectRst = 0;
            for (long m = 0; m < total; m++)
            {
                if (_restart > 0 && m > 0 && m % _restart == 0)
                {
                    // Byte-align, then the next restart marker in sequence.
                    _bitCount = 0;
                    if (_pos + 1 >= d.Length || d[_pos] != 0xFF || d[_pos + 1] != 0xD0 + expectRst)
                        throw new JpegProblem($"scan data does not match the image: restart marker {expectRst} missing before block {m + 1} of {total} (corrupt or truncated)");
                    _pos += 2;
                    expectRst = (expectRst + 1) & 7;
                    eobRun = 0;
                }
                foreach (var (comp, bx, by) in blocksOf(m))
                {
                    var slot = Array.FindIndex(inScan, s => s.Index == comp);
                    var (_, dc, ac) = inScan[slot];
                    if (!progressive) { Dc(dc!); AcSequential(ac!); }
                    else
                    {
                        ref ulong nz = ref _nonzero[comp][BlockIndex(comp, bx, by)];
                        if (ss == 0) { if (ah == 0) Dc(dc!); else Bit(); }
                        else if (ah == 0) AcFirst(ac!, ss, se, ref eobRun, ref nz);
                        else AcRefine(ac!, ss, se, ref eobRun, ref nz);
                    }
                    if (_hitMarker)
                        throw new JpegProblem(_pos == scanStart
                            ? "its scan holds no data: there is no image data"
                            : $"scan data does not match the image: it ends at block {m + 1} of {total} (truncated, cut short or overwritten)");
                }
            }
            // After the last block: padding bits, then a marker; anything else means the data was not this image's.
            _bitCount = 0;
            int extra = 0;
            while (_pos < d.Length && !(d[_pos] == 0xFF && _pos + 1 < d.Length && d[_pos + 1] != 0x00))
            {
                extra++;
                _pos++;
            }
            if (_pos >= d.Length) throw new JpegProblem("no end-of-image marker (FF D9) after the last scan: the file is truncated");
            if (extra > 1)
                throw new JpegProblem($"scan data does not match the image: {extra} bytes left after its last block (corrupt, e.g. overwritten with zeros)");
        }

        private long BlockIndex(int comp, int bx, int by)
        {
            int mcusX = Ceil(_width, 8 * _hMax);
            return (long)by * mcusX * _components[comp].H + bx;
        }

        private void SkipEntropyData()
        {
            while (_pos + 1 < d.Length && !(d[_pos] == 0xFF && d[_pos + 1] != 0x00 && d[_pos + 1] is < 0xD0 or > 0xD7)) _pos++;
            if (_pos + 1 >= d.Length) throw new JpegProblem("no end-of-image marker (FF D9) after the last scan: the file is truncated");
        }

        private int Bit()
        {
            if (_bitCount == 0)
            {
                if (_pos >= d.Length) { _hitMarker = true; return 0; }
                int b = d[_pos];
                if (b == 0xFF)
                {
                    if (_pos + 1 >= d.Length || d[_pos + 1] != 0x00) { _hitMarker = true; return 0; }
                    _pos += 2;
                }
                else _pos++;
                _bitBuffer = b;
                _bitCount = 8;
            }
            _bitCount--;
            return (_bitBuffer >> _bitCount) & 1;
        }

        private int Bits(int n)
        {
            int v = 0;
            for (int i = 0; i < n; i++) v = v << 1 | Bit();
            return v;
        }

        private int Decode(Huffman h)
        {
            int code = Bit();
            int l = 1;
            while (code > h.MaxCode[l])
            {
                if (_hitMarker) return 0;
                code = code << 1 | Bit();
                if (++l > 16) throw new JpegProblem($"scan data does not match the image: an invalid Huffman code at byte {_pos} (corrupt)");
            }
            int index = h.ValPtr[l] + code - h.MinCode[l];
            if (index >= h.Values.Length) throw new JpegProblem($"scan data does not match the image: an invalid Huffman code at byte {_pos} (corrupt)");
            return h.Values[index];
        }

        private void Dc(Huffman h)
        {
            int s = Decode(h);
            if (s > 15) throw new JpegProblem($"scan data does not match the image: a DC difference of {s} bits at byte {_pos} (corrupt)");
            Bits(s);
        }

        private void AcSequential(Huffman h)
        {
            for (int k = 1; k <= 63 && !_hitMarker; k++)
            {
                int rs = Decode(h), r = rs >> 4, s = rs & 15;
                if (s == 0)
                {
                    if (r != 15) return;
                    k += 15;
                }
                else
                {
                    k += r;
                    if (k > 63) throw new JpegProblem($"scan data does not match the image: a coefficient past the 64th at byte {_pos} (corrupt)");
                    Bits(s);
                }
            }
        }

        private void AcFirst(Huffman h, int ss, int se, ref int eobRun, ref ulong nonzero)
        {
            if (eobRun > 0) { eobRun--; return; }
            for (int k = ss; k <= se && !_hitMarker; k++)
            {
                int rs = Decode(h), r = rs >> 4, s = rs & 15;
                if (s == 0)
                {
                    if (r < 15)
                    {
                        eobRun = (1 << r) - 1;
                        if (r > 0) eobRun += Bits(r);
                        return;
                    }
                    k += 15;
                }
                else
                {
                    k += r;
                    if (k > se) throw new JpegProblem($"scan data does not match the image: a coefficient past the band's end at byte {_pos} (corrupt)");
                    Bits(s);
                    nonzero |= 1UL << k;
                }
            }
        }

        private void AcRefine(Huffman h, int ss, int se, ref int eobRun, ref ulong nonzero)
        {
            int k = ss;
            if (eobRun == 0)
            {
                for (; k <= se && !_hitMarker; k++)
                {
                    int rs = Decode(h), r = rs >> 4, s = rs & 15;
                    if (s != 0)
                    {
                        if (s != 1) throw new JpegProblem($"scan data does not match the image: a refinement of {s} bits at byte {_pos} (corrupt)");
                        Bit();
                    }
                    else if (r != 15)
                    {
                        eobRun = 1 << r;
                        if (r > 0) eobRun += Bits(r);
                        break;
                    }
                    do
                    {
                        if ((nonzero >> k & 1) != 0) Bit();
                        else if (--r < 0) break;
                        k++;
                    } while (k <= se);
                    if (s != 0)
                    {
                        if (k > se) throw new JpegProblem($"scan data does not match the image: a coefficient past the band's end at byte {_pos} (corrupt)");
                        nonzero |= 1UL << k;
                    }
                }
            }
            if (eobRun > 0)
            {
                for (; k <= se; k++)
                    if ((nonzero >> k & 1) != 0) Bit();
                eobRun--;
            }
        }
    }
}
