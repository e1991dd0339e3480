namespace Ferry.Protocol.Fuzz;

/// <summary>A small afl-style mutator for the replay mode: bit flips, interesting values, splices, truncation.</summary>
internal static class Mutator
{
    private static readonly int[] Interesting = [0, 1, 4, 5, 8, 0x7F, 0x80, 0xFB, 0xFC, 0xFD, 0xFE, 0xFF];

    public static byte[] Mutate(byte[] seed, byte[] other, Random random)
    {
        var data = new List<byte>(seed);
        int rounds = 1 + random.Next(8);
        for (int r = 0; r < rounds; r++)
        {
            int position = data.Count == 0 ? 0 : random.Next(data.Count);
            switch (random.Next(8))
            {
                case 0 when data.Count > 0:
                    data[position] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when data.Count > 0:
                    data[position] = (byte)Interesting[random.Next(Interesting.Length)];
                    break;
                case 2 when data.Count > 0:
                    data[position] = (byte)random.Next(256);
                    break;
                case 3 when data.Count > 4:
                    int at = random.Next(data.Count - 3);
                    int value = random.Next(4) switch { 0 => -1, 1 => int.MaxValue, 2 => random.Next(0, 70_000), _ => 0 };
                    data[at] = (byte)(value >> 24); data[at + 1] = (byte)(value >> 16); data[at + 2] = (byte)(value >> 8); data[at + 3] = (byte)value;
                    break;
                case 4 when data.Count > 0:
                    data.RemoveRange(position, random.Next(Math.Min(16, data.Count - position) + 1));
                    break;
                case 5:
                    data.InsertRange(position, Enumerable.Range(0, random.Next(1, 16)).Select(_ => (byte)random.Next(256)));
                    break;
                case 6 when other.Length > 0:
                    int from = random.Next(other.Length);
                    data.InsertRange(position, other.Skip(from).Take(random.Next(1, 64)));
                    break;
                default:
                    if (data.Count > 0)
                    {
                        data.RemoveRange(position, data.Count - position);
                    }

                    break;
            }
        }

        return data.ToArray();
    }
}
