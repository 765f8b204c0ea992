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
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Dictionary<string, float[]>> _loaded = new(StringComparer.Ordinal);

    /// <summary>A cache in <paramref name="folder"/> (created when first written).</summary>
    public FolderVectorCache(string folder) => _folder = folder;

    private string FileOf(string modelId) =>
        Path.Combine(_folder, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(modelId))) + ".vec");

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, float[]>> GetAsync(string modelId, IReadOnlyCollection<string> digests, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(digests);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var all = await LoadAsync(modelId, cancellationToken).ConfigureAwait(false);
            var found = new Dictionary<string, float[]>(StringComparer.Ordinal);
            foreach (var digest in digests)
            {
                if (all.TryGetValue(digest, out var vector))
                {
                    found[digest] = vector;
                }
            }

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
                var buffer = new byte[fresh.Sum(v => HeaderLength + (v.Value.Length * 4L))];
                var position = 0;
                foreach (var (digest, vector) in fresh)
                {
                    Convert.FromHexString(digest).CopyTo(buffer, position);
                    BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(position + 32, 4), vector.Length);
                    for (var i = 0; i < vector.Length; i++)
                    {
                        BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(position + HeaderLength + (i * 4), 4), vector[i]);
                    }

                    position += HeaderLength + (vector.Length * 4);
                    all[digest] = vector;
                }

                await stream.WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // A cache that cannot be written (read-only folder, disk full) costs time on the next run, nothing else.
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        finally
        {
            _gate.Release();
        }
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
