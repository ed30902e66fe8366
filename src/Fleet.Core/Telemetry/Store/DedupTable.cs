using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Fleet.Telemetry.Store;

/// <summary>
/// The writer's dedup index for a first ingest: 64-bit keys (hashes of what identifies a call) mapped to the rowids
/// of the calls stored under them, in open addressing: 16 bytes a slot, between 3/8 and 3/4 full, so 21 to 43 bytes a
/// call where a dictionary of the ids themselves cost about 350. A key says only "maybe the same call": the writer
/// reads every candidate row back and applies the exact rule, so two calls whose keys collide stay two calls. The same
/// key may map to several rows.
/// </summary>
internal sealed class DedupTable
{
    private const int MinCapacity = 1024;

    private readonly ulong _keyMask;
    private ulong[] _keys = new ulong[MinCapacity];

    // 0 marks an empty slot: SQLite gives an inserted row a rowid of at least 1.
    private long[] _rows = new long[MinCapacity];

    /// <param name="keyBits">How many bits of each key are kept: 64, or fewer only to make keys collide in tests.</param>
    public DedupTable(int keyBits = 64)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(keyBits);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(keyBits, 64);
        _keyMask = keyBits == 64 ? ulong.MaxValue : (1UL << keyBits) - 1;
    }

    public int Count { get; private set; }

    /// <summary>Bytes held by the table's arrays.</summary>
    public long Bytes => ((long)_keys.Length * sizeof(ulong)) + ((long)_rows.Length * sizeof(long));

    public void Add(ulong key, long row)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(row);
        // Grown at 3/4 full: linear probing stays short below that.
        if ((Count + 1) * 4L > _keys.Length * 3L)
            Grow();
        Place(_keys, _rows, key & _keyMask, row);
        Count++;
    }

    /// <summary>Appends to <paramref name="rows"/> every row stored under <paramref name="key"/>, lowest rowid first.</summary>
    public void Find(ulong key, List<long> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        key &= _keyMask;
        var start = rows.Count;
        var mask = _keys.Length - 1;
        for (var i = Slot(key, mask); _rows[i] != 0; i = (i + 1) & mask)
        {
            if (_keys[i] == key)
                rows.Add(_rows[i]);
        }

        // Probing order is not insertion order once the table has wrapped around or grown.
        if (rows.Count - start > 1)
            CollectionsMarshal.AsSpan(rows)[start..].Sort();
    }

    private void Grow()
    {
        var keys = new ulong[_keys.Length * 2];
        var rows = new long[_rows.Length * 2];
        for (var i = 0; i < _rows.Length; i++)
        {
            if (_rows[i] != 0)
                Place(keys, rows, _keys[i], _rows[i]);
        }

        _keys = keys;
        _rows = rows;
    }

    private static void Place(ulong[] keys, long[] rows, ulong key, long row)
    {
        var mask = keys.Length - 1;
        var i = Slot(key, mask);
        while (rows[i] != 0)
            i = (i + 1) & mask;
        keys[i] = key;
        rows[i] = row;
    }

    // Keys are hashes already; the multiply spreads narrowed test keys and the high bits pick the slot.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Slot(ulong key, int mask) => (int)((key * 0x9E3779B97F4A7C15UL) >> 32) & mask;

    /// <summary>A 64-bit hash of <paramref name="text"/>'s UTF-16 code units, seeded.</summary>
    public static ulong Hash(string text, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = MemoryMarshal.AsBytes(text.AsSpan());
        var h = seed ^ ((ulong)bytes.Length * 0x9E3779B97F4A7C15UL);
        while (bytes.Length >= sizeof(ulong))
        {
            h = Mix(h, MemoryMarshal.Read<ulong>(bytes));
            bytes = bytes[sizeof(ulong)..];
        }

        ulong tail = 0;
        for (var i = 0; i < bytes.Length; i++)
            tail |= (ulong)bytes[i] << (8 * i);
        return Finish(Mix(h, tail));
    }

    /// <summary>Folds <paramref name="value"/> into a hash under way (finish it with <see cref="Finish"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong hash, ulong value) =>
        BitOperations.RotateLeft((hash ^ (value * 0xC2B2AE3D27D4EB4FUL)) * 0x9E3779B97F4A7C15UL, 29) + 0x165667B19E3779F9UL;

    /// <summary>MurmurHash3's finalizer: every input bit reaches every output bit.</summary>
    public static ulong Finish(ulong hash)
    {
        hash ^= hash >> 33;
        hash *= 0xFF51AFD7ED558CCDUL;
        hash ^= hash >> 33;
        hash *= 0xC4CEB9FE1A85EC53UL;
        return hash ^ (hash >> 33);
    }
}
