using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Skybridge.Grounding.Retrieval.Embeddings;

/// <summary>
/// Passage vectors in a folder, for indexes built from files on disk (<c>skybridge ask MANIFEST</c>, <c>eval run</c>):
/// one file per model (<c>&lt;sha256 of the model id&gt;.vec</c>), appended to, each record the passage digest (32 bytes)
/// then the vector (little-endian floats). It is only a cache: what cannot be read is computed again.
/// </summary>
/// <remarks>
/// Every changed passage adds a record and none is ever removed by an append, and every run reads the whole file: a
/// corpus that changes daily would make each <c>ask</c> read a year of old passages. So the file is compacted in two
/// generations: when it is larger than <see cref="DefaultCompactAbove"/> and the passages this process has asked for or
/// added are less than a third of its records, it is rewritten with those passages only, and the file as it was becomes
/// <c>&lt;hash&gt;.old.vec</c>. Another corpus sharing the folder finds its vectors there on its next run, and they are
/// brought forward into the file; what no run asked for across two compactions is gone, and is embedded again if a
/// passage of it ever comes back.
/// </remarks>
/// <remarks>
/// Several processes share the folder (two evaluations, a test run beside an <c>ask</c>), and a process can die in the
/// middle of an append (killed, out of memory, disk full). Records have no length of their own beyond the vector's
/// dimension, so a record cut short and then written after would shift every later record: the reader would take the
/// next record's first bytes as the cut one's last floats, a vector of garbage under a real passage's digest, used by
/// every search until the file is deleted. So an append holds the file exclusively (other processes wait for it, a
/// reader too), reads it again, cuts it back to its last whole record and only then writes; and a reader that meets
/// a record header that cannot be one (the sign of a shifted file written before this rule) distrusts the record
/// before it as well.
/// </remarks>
public sealed class FolderVectorCache : IPassageVectorCache
{
    // How long an append or a read waits for another process's append to finish before it goes on without the file.
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(5);
    private const int HeaderLength = 36;
    private const int MaxDimension = 16_384;
    private readonly string _folder;
    private readonly long _compactAbove;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Dictionary<string, float[]>> _loaded = new(StringComparer.Ordinal);

    // Per model, the digests this process asked for or added: what a compaction keeps.
    private readonly Dictionary<string, HashSet<string>> _used = new(StringComparer.Ordinal);

    /// <summary>The size above which a vectors file is compacted, when most of it is passages no run of this process uses: 64 MB, about 42,000 vectors of 384 dimensions.</summary>
    public const long DefaultCompactAbove = 64L * 1024 * 1024;

    /// <summary>A cache in <paramref name="folder"/> (created when first written).</summary>
    public FolderVectorCache(string folder)
        : this(folder, DefaultCompactAbove)
    {
    }

    /// <summary>A cache in <paramref name="folder"/> whose files are compacted above <paramref name="compactAbove"/> bytes.</summary>
    internal FolderVectorCache(string folder, long compactAbove)
    {
        _folder = folder;
        _compactAbove = compactAbove;
    }

    private string FileOf(string modelId) =>
        Path.Combine(_folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(modelId))) + ".vec");

    private string OldFileOf(string modelId) => Path.ChangeExtension(FileOf(modelId), ".old.vec");

    private HashSet<string> UsedOf(string modelId)
    {
        if (!_used.TryGetValue(modelId, out var used))
        {
            _used[modelId] = used = new HashSet<string>(StringComparer.Ordinal);
        }

        return used;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, float[]>> GetAsync(string modelId, IReadOnlyCollection<string> digests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(digests);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var all = await LoadAsync(modelId, cancellationToken).ConfigureAwait(false);
            var used = UsedOf(modelId);
            used.UnionWith(digests);
            var found = new Dictionary<string, float[]>(StringComparer.Ordinal);
            var missing = new HashSet<string>(StringComparer.Ordinal);
            foreach (var digest in digests)
            {
                if (all.TryGetValue(digest, out var vector))
                {
                    found[digest] = vector;
                }
                else
                {
                    missing.Add(digest);
                }
            }

            // Passages of a corpus not read since the last compaction: in the generation before, brought forward.
            if (missing.Count > 0 && await ReadOldAsync(modelId, missing, cancellationToken).ConfigureAwait(false) is { Count: > 0 } older)
            {
                await AppendAsync(modelId, all, older, cancellationToken).ConfigureAwait(false);
                foreach (var (digest, vector) in older)
                {
                    found[digest] = vector;
                }
            }

            await CompactIfMostlyUnusedAsync(modelId, all, used, cancellationToken).ConfigureAwait(false);
            return found;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async Task PutAsync(string modelId, IReadOnlyDictionary<string, float[]> vectors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var all = await LoadAsync(modelId, cancellationToken).ConfigureAwait(false);
            UsedOf(modelId).UnionWith(vectors.Keys);
            await AppendAsync(modelId, all, vectors, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Appends the vectors of <paramref name="vectors"/> that the file lacks, under its lock; the caller holds the gate.</summary>
    private async Task AppendAsync(string modelId, Dictionary<string, float[]> all, IReadOnlyDictionary<string, float[]> vectors, CancellationToken cancellationToken)
    {
        if (!vectors.Any(v => !all.ContainsKey(v.Key) && v.Key.Length == 64))
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(_folder);
            await using var stream = await OpenAsync(FileOf(modelId), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, cancellationToken).ConfigureAwait(false);
            if (stream is null)
            {
                return;
            }

            // The file as it is now, under the lock: another process may have appended since it was loaded, or died
            // in the middle of an append. Its whole records are kept; whatever follows the last of them is cut off.
            var bytes = await ReadAllAsync(stream, cancellationToken).ConfigureAwait(false);
            var (records, end) = Parse(bytes);
            foreach (var (digest, vector) in records)
            {
                all.TryAdd(digest, vector);
            }

            var fresh = vectors.Where(v => !all.ContainsKey(v.Key) && v.Key.Length == 64).ToList();
            stream.SetLength(end);
            stream.Position = end;
            if (fresh.Count == 0)
            {
                return;
            }

            // One buffer, one write: the records reach the file together.
            await stream.WriteAsync(Records([.. fresh.Select(v => (v.Key, v.Value))]), cancellationToken).ConfigureAwait(false);
            foreach (var (digest, vector) in fresh)
            {
                all[digest] = vector;
            }
        }
        catch (IOException)
        {
            // A cache that cannot be written (read-only folder, disk full) costs time on the next run, nothing else.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// The vectors of <paramref name="digests"/> in the generation before the last compaction; empty when there is none
    /// or it cannot be read.
    /// </summary>
    private async Task<Dictionary<string, float[]>> ReadOldAsync(string modelId, IReadOnlySet<string> digests, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var file = OldFileOf(modelId);
        try
        {
            if (!File.Exists(file))
            {
                return found;
            }

            await using var stream = await OpenAsync(file, FileMode.Open, FileAccess.Read, FileShare.Read, cancellationToken).ConfigureAwait(false);
            if (stream is null)
            {
                return found;
            }

            foreach (var (digest, vector) in Parse(await ReadAllAsync(stream, cancellationToken).ConfigureAwait(false)).Records)
            {
                if (digests.Contains(digest))
                {
                    found[digest] = vector;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return found;
    }

    /// <summary>
    /// Rewrites the file with the passages this process used when it is larger than the bound and they are less than a
    /// third of its records; the file as it was becomes the generation before (<see cref="OldFileOf"/>). Under the
    /// file's lock, read again there: another process's appends since this one loaded it are judged too. A new file is
    /// written beside and renamed into place: a process stopped half way leaves the old file, or no file and the old
    /// generation, never half a file.
    /// </summary>
    private async Task CompactIfMostlyUnusedAsync(string modelId, Dictionary<string, float[]> all, HashSet<string> used, CancellationToken cancellationToken)
    {
        var file = FileOf(modelId);
        // The file's size first: one look at the disk, where counting the passages in use looks up every one of them.
        if (all.Count == 0 || !File.Exists(file) || new FileInfo(file).Length <= _compactAbove || all.Keys.Count(used.Contains) * 3 >= all.Count)
        {
            return;
        }

        var temporary = file + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            await using var stream = await OpenAsync(file, FileMode.Open, FileAccess.ReadWrite, FileShare.None, cancellationToken).ConfigureAwait(false);
            if (stream is null)
            {
                return;
            }

            var (records, _) = Parse(await ReadAllAsync(stream, cancellationToken).ConfigureAwait(false));
            var kept = records.Where(r => used.Contains(r.Digest)).DistinctBy(r => r.Digest, StringComparer.Ordinal).ToList();
            if (kept.Count * 3 >= records.Count)
            {
                return;
            }

            await File.WriteAllBytesAsync(temporary, Records(kept), cancellationToken).ConfigureAwait(false);
            // Still holding the file: no process appends between the two renames.
            File.Move(file, OldFileOf(modelId), overwrite: true);
            File.Move(temporary, file);
            all.Clear();
            foreach (var (digest, vector) in kept)
            {
                all[digest] = vector;
            }
        }
        catch (IOException)
        {
            // Not compacted (disk full, read-only folder): the file is as it was, only larger than it needs to be.
        }
        catch (UnauthorizedAccessException)
        {
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>The records of <paramref name="vectors"/> in one buffer, each the digest's 32 bytes, the dimension, the floats.</summary>
    private static byte[] Records(IReadOnlyList<(string Digest, float[] Vector)> vectors)
    {
        var buffer = new byte[vectors.Sum(v => HeaderLength + (v.Vector.Length * 4L))];
        var position = 0;
        foreach (var (digest, vector) in vectors)
        {
            Convert.FromHexString(digest).CopyTo(buffer, position);
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(position + 32, 4), vector.Length);
            for (var i = 0; i < vector.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(position + HeaderLength + (i * 4), 4), vector[i]);
            }

            position += HeaderLength + (vector.Length * 4);
        }

        return buffer;
    }

    private async Task<Dictionary<string, float[]>> LoadAsync(string modelId, CancellationToken cancellationToken)
    {
        if (_loaded.TryGetValue(modelId, out var known))
        {
            return known;
        }

        var vectors = new Dictionary<string, float[]>(StringComparer.Ordinal);
        var file = FileOf(modelId);
        try
        {
            if (File.Exists(file))
            {
                // Read in one piece and cut into records: reading float by float through a BinaryReader cost more than
                // the rest of an unchanged `skybridge ask` together (about 0.13 s for 18,000 vectors).
                await using var stream = await OpenAsync(file, FileMode.Open, FileAccess.Read, FileShare.Read, cancellationToken).ConfigureAwait(false);
                if (stream is not null)
                {
                    foreach (var (digest, vector) in Parse(await ReadAllAsync(stream, cancellationToken).ConfigureAwait(false)).Records)
                    {
                        vectors[digest] = vector;
                    }
                }
            }
        }
        catch (IOException)
        {
            // Unreadable: start over; the vectors are computed again.
        }
        catch (UnauthorizedAccessException)
        {
        }

        _loaded[modelId] = vectors;
        return vectors;
    }

    /// <summary>
    /// The whole records of a vectors file, and where the last of them ends. A header whose dimension cannot be one
    /// means the records before it were shifted by an append after a cut-off one: the record read just before it took
    /// its last floats from the next record, so it is left out as well. A file that merely ends in the middle of a
    /// record (a process died while appending) keeps every record before it; a vector that is not all finite numbers
    /// ends the file there too.
    /// </summary>
    internal static (List<(string Digest, float[] Vector)> Records, int End) Parse(byte[] bytes)
    {
        var records = new List<(string, float[])>();
        var position = 0;
        var previous = 0;
        while (position + HeaderLength <= bytes.Length)
        {
            var dimension = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(position + 32, 4));
            if (dimension <= 0 || dimension > MaxDimension)
            {
                if (records.Count > 0)
                {
                    records.RemoveAt(records.Count - 1);
                    position = previous;
                }

                break;
            }

            if (position + HeaderLength + (dimension * 4L) > bytes.Length)
            {
                break;
            }

            var vector = new float[dimension];
            var values = bytes.AsSpan(position + HeaderLength, dimension * 4);
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.Cast<byte, float>(values).CopyTo(vector);
            }
            else
            {
                for (var i = 0; i < dimension; i++)
                {
                    vector[i] = BinaryPrimitives.ReadSingleLittleEndian(values[(i * 4)..]);
                }
            }

            // Every model gives finite numbers: a NaN or an infinity is damage, and one such vector would make every
            // cosine with it NaN, which no ranking can order.
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(vector))
            {
                break;
            }

            records.Add((Convert.ToHexStringLower(bytes, position, 32), vector));
            previous = position;
            position += HeaderLength + (dimension * 4);
        }

        return (records, position);
    }

    /// <summary>The whole file in one array; a file too large for one (about 1.4 million vectors) is not read, as if damaged.</summary>
    private static async Task<byte[]> ReadAllAsync(FileStream stream, CancellationToken cancellationToken)
    {
        if (stream.Length > Array.MaxLength)
        {
            throw new IOException($"the vectors file is {stream.Length} bytes, more than one read takes");
        }

        var bytes = new byte[stream.Length];
        await stream.ReadExactlyAsync(bytes, cancellationToken).ConfigureAwait(false);
        return bytes;
    }

    /// <summary>
    /// The file opened with <paramref name="share"/>, waiting up to <see cref="LockWait"/> while it cannot be (another
    /// process's append holds it exclusively); null when it still cannot be. A file that does not exist throws as usual.
    /// </summary>
    private static async Task<FileStream?> OpenAsync(string path, FileMode mode, FileAccess access, FileShare share, CancellationToken cancellationToken)
    {
        var waited = TimeSpan.Zero;
        var pause = TimeSpan.FromMilliseconds(10);
        while (true)
        {
            try
            {
                return new FileStream(path, mode, access, share, bufferSize: 1, FileOptions.None);
            }
            catch (IOException) when (File.Exists(path) && waited < LockWait)
            {
                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                waited += pause;
                pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 200));
            }
            catch (IOException) when (File.Exists(path))
            {
                return null;
            }
        }
    }
}
