using System.CommandLine;

namespace Ferry.Cli.Commands;

/// <summary>
/// <c>ferry completion bash|zsh</c>: a script that asks ferry itself for completions through the
/// <c>[suggest:POSITION]</c> directive, so every command, option and option value is completed.
/// </summary>
internal static class CompletionCommand
{
    public const string Bash = """
        # bash completion for ferry: source <(ferry completion bash)
        _ferry_complete() {
            local IFS=$'\n'
            local line="${COMP_LINE:0:$COMP_POINT}"
            COMPREPLY=( $(command ferry "[suggest:${#line}]" "$line" 2>/dev/null) )
            local cur="${COMP_WORDS[COMP_CWORD]}"
            if [[ -n "$cur" ]]; then
                local filtered=() c
                for c in "${COMPREPLY[@]}"; do [[ "$c" == "$cur"* ]] && filtered+=("$c"); done
                COMPREPLY=( "${filtered[@]}" )
            fi
        }
        complete -o default -F _ferry_complete ferry
        """;

    public const string Zsh = """
        #compdef ferry
        # zsh completion for ferry: source <(ferry completion zsh)   (after compinit)
        _ferry() {
            local line="${(j: :)words[1,CURRENT]}"
            local -a candidates
            candidates=("${(@f)$(command ferry "[suggest:${#line}]" "$line" 2>/dev/null)}")
            compadd -- ${candidates:#}
        }
        compdef _ferry ferry
        """;

    public static Command Build()
    {
        var shell = new Argument<string>("SHELL") { Description = "bash or zsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion", """
            Print a shell completion script for bash or zsh.

            Example:
              source <(ferry completion bash)          # add to ~/.bashrc
              source <(ferry completion zsh)           # add to ~/.zshrc after compinit
            """)
        {
            shell,
        };
        command.SetAction(parse =>
        {
            Console.WriteLine(parse.GetValue(shell) == "zsh" ? Zsh : Bash);
            return 0;
        });
        return command;
    }
}
