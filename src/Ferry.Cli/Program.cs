using System.CommandLine;

var root = new RootCommand("ferry");
return root.Parse(args).Invoke();
