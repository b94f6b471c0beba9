# %% [markdown]
# # 06 · MLflow Projects
#
# Um notebook é ótimo para explorar e ruim para entregar a outra pessoa: "execute as células
# 3 a 17, mas mude o alpha antes" não é reproduzível. Um **MLflow Project** é uma pasta com um
# arquivo `MLproject` que nomeia seus pontos de entrada (entry points), os parâmetros de cada um
# e o comando a executar, para que qualquer um — um colega, um agendador, a CI — o execute do
# mesmo jeito com `mlflow run`, e cada execução (run) guarde de onde veio o seu código.
#
# **Você vai aprender** o arquivo `MLproject` e seus tipos de parâmetro; a executar um projeto
# pela linha de comando e pelo Python; o que uma execução de projeto guarda (origem, ponto de
# entrada, parâmetros, commit do git) e o que ela não guarda; o que acontece com um parâmetro
# do tipo errado; a reproduzir uma execução passada a partir do commit que ela guardou.
#
# **Tempo:** 30 minutos. **Pré-requisitos:** 01 · Rastreamento básico.
#
# **No mapa** (lição 00): execuções iniciadas a partir de um projeto, no mesmo servidor.

# %%
import lab_utils

lab = lab_utils.connect(language="pt_BR")

# %% tags=["parameters"]
experiment_name = "projetos_mlflow"

# %% [markdown]
# ## O projeto
#
# A pasta `projects/house_prices/` deste repositório contém o projeto: dois scripts Python e
# o arquivo `MLproject` que os descreve.

# %%
project = lab_utils.REPO_ROOT / "projects" / "house_prices"
print((project / "MLproject").read_text())

# Os erros desta lição aparecem resumidos: a exceção e sua mensagem, sem a pilha de
# chamadas da biblioteca (`%xmode Context` traz o traceback completo de volta).
# %xmode Minimal

# %% [markdown]
# Cada ponto de entrada declara seus parâmetros com um tipo e um valor padrão; `{alpha}` no
# comando é substituído pelo valor passado com `-P`. Os tipos documentados são `string`,
# `float`, `path` e `uri` (um parâmetro sem tipo é `string`). O MLflow age sobre dois deles:
# um `path` vira um caminho absoluto (um remoto é baixado antes) e um `uri` precisa ter forma
# de URI. `string` e `float` documentam a intenção: o MLflow repassa o valor sem verificá-lo,
# como mostra uma seção mais adiante.
#
# `train` ajusta o modelo no conjunto de treinamento e loga sua pontuação no conjunto de
# **validação**; `validate` é um critério de promoção (gate) — aprova uma execução treinada
# só se o RMSE de validação dela for baixo o bastante, e avalia o modelo aprovado no conjunto de
# **teste**, uma única vez. A decisão (aprovar ou não) lê dados de validação, e assim a
# pontuação no teste continua sendo uma estimativa honesta do modelo que você entrega.
#
# `python_env.yaml` descreve o ambiente de uma execução que cria um ambiente novo
# (`--env-manager virtualenv` ou `uv`). Ele não fixa versão do Python: o MLflow usa então o
# Python que executa `mlflow run`, e o arquivo funciona com todas as versões de Python que o
# laboratório suporta (3.10 a 3.13). Com `--env-manager local`, como aqui, o projeto roda no
# próprio ambiente do laboratório e o arquivo não é usado.

# %%
print((project / "python_env.yaml").read_text())

# %% [markdown]
# ## Executando pela linha de comando
#
# `MLFLOW_LOGGING_LEVEL=WARNING` tira da saída as linhas de progresso do próprio MLflow (uma
# delas mostra uma pasta temporária desta máquina); o que sobra é a saída do script. Cada
# execução do projeto inicia novos processos Python que importam o MLflow e o scikit-learn, e
# depois ajusta e loga um modelo: cerca de 10 segundos cada uma numa máquina ociosa,
# mais numa máquina ocupada.

# %%
# !MLFLOW_LOGGING_LEVEL=WARNING mlflow run {project} -e train -P alpha=0.3 -P l1_ratio=0.5 --env-manager local --experiment-name {experiment_name}

# %% [markdown]
# `mlflow run` criou uma execução, logou os parâmetros, executou o comando com
# `MLFLOW_RUN_ID` definido, e o `mlflow.start_run()` do script se juntou a essa execução. Vamos
# encontrá-la e ler o que ela guardou sobre a sua origem.

# %%
import mlflow

cli_run = mlflow.search_runs(experiment_names=[experiment_name], filter_string="params.alpha = '0.3'",
                             order_by=["attributes.start_time DESC"], max_results=1, output_format="list")[0]
tags = cli_run.data.tags
# A origem é uma URI de arquivo deste repositório mais a pasta do projeto: mostre só a pasta.
source = tags["mlflow.source.name"].replace(lab_utils.REPO_ROOT.as_uri(), "file://<repository>")
not_set = {"mlflow.project.env": "(não definida: com --env-manager local o MLflow não cria ambiente)",
           "mlflow.source.git.commit": "(não gravado: o projeto não está num checkout do git)"}
print(f"{'mlflow.source.name':<28} {source}")
for key in ("mlflow.project.entryPoint", "mlflow.source.type", "mlflow.project.env",
            "mlflow.source.git.commit"):
    print(f"{key:<28} {tags.get(key, not_set.get(key, '(não gravado)'))}")

# %% [markdown]
# `mlflow.project.env` nomeia o ambiente que o MLflow criou para a execução (`virtualenv`, `uv`,
# `conda` ou `docker`); `--env-manager local` não cria nenhum, então essa tag não existe. O
# commit do git é o `HEAD` do checkout em que o projeto está. Alterações ainda sem commit
# **não** estão nesse commit, e o MLflow não avisa se havia alguma: faça commit antes de uma
# execução que você talvez precise reproduzir. Esta célula pergunta ao git:

# %%
import subprocess

uncommitted = subprocess.run(["git", "-C", str(lab_utils.REPO_ROOT), "status", "--porcelain", "--",
                              "projects/house_prices", "lab_utils"],
                             capture_output=True, text=True, check=True).stdout.split("\n")
uncommitted = [line[3:] for line in uncommitted if line]
print("alterações sem commit no projeto ou em lab_utils:", uncommitted or "nenhuma")

# %% [markdown]
# ### Ponto de verificação
# A execução contém seus parâmetros, suas métricas, seu modelo e a procedência do projeto.

# %%
checked = lab_utils.assert_run_logged(
    cli_run.info.run_id, params={"alpha": "0.3", "l1_ratio": "0.5"},
    metrics=["validation_rmse", "validation_r2"],
    tags={"mlflow.project.entryPoint": "train", "mlflow.source.type": "PROJECT"})
if (lab_utils.REPO_ROOT / ".git").exists():
    assert "mlflow.source.git.commit" in tags, "nenhum commit do git gravado"

# %% [markdown]
# ## Executando pelo Python
#
# `mlflow.projects.run` faz o mesmo a partir do código e devolve a execução submetida. Suas
# linhas de log mostram o comando que ele executou; a que mostra uma pasta temporária é
# desligada aqui.

# %%
import logging

# "Created directory /tmp/... for downloading remote URIs": só os parâmetros `path` usam essa pasta.
logging.getLogger("mlflow.projects.utils").setLevel(logging.WARNING)

submitted = mlflow.projects.run(
    str(project), entry_point="train", parameters={"alpha": 0.8, "l1_ratio": 0.2},
    env_manager="local", experiment_name=experiment_name,
)
print(submitted.run_id, submitted.get_status())

# %% [markdown]
# O segundo ponto de entrada valida uma execução treinada contra um RMSE de validação máximo.
# O veredito é uma tag, `validation_passed` (`true` ou `false`), e um modelo aprovado recebe
# também o seu RMSE de teste. A execução termina FINISHED nos dois casos: recusar um modelo é
# o critério fazendo o seu trabalho, uma decisão, não um erro. Uma execução FAILED (o comando
# sai com código diferente de zero e `mlflow.projects.run` lança `ExecutionException`) quer
# dizer que a validação não pôde ser feita — um id de execução que não existe, um modelo que
# não carrega, um parâmetro do tipo errado, como mostra a próxima seção. Mantenha as duas
# coisas separadas: um agendador que lê códigos de saída repete as falhas e alerta sobre
# elas, e uma recusa escondida entre travamentos se perde.

# %%
validation = mlflow.projects.run(
    str(project), entry_point="validate", parameters={"run_id": submitted.run_id, "max_rmse": 16000},
    env_manager="local", experiment_name=experiment_name,
)
validated = mlflow.get_run(validation.run_id)

# %% tags=["nbval-check-output"]
print("status:", validated.info.status, "· aprovado:", validated.data.tags["validation_passed"])
print({key: round(value) for key, value in sorted(validated.data.metrics.items())})

# %%
checked = lab_utils.assert_run_logged(submitted.run_id, params={"alpha": "0.8"}, metrics=["validation_rmse"])
checked = lab_utils.assert_run_logged(validation.run_id, metrics=["validation_rmse", "test_rmse"],
                                      tags={"validated_run_id": submitted.run_id, "validation_passed": "true"})

# %% [markdown]
# Os RMSEs de validação e de teste acima podem diferir em milhares de CAD, e isso sozinho não
# é alarme: eles são medidos em 103 casas de validação e 137 de teste, e o bootstrap da lição 02 mostrou um
# intervalo de 95% de vários milhares de CAD para um RMSE de teste. Some o pequeno otimismo de
# um número que participou de uma decisão (o critério de promoção leu o RMSE de validação), e uma
# diferença desse tamanho está dentro do que dois sorteios de casas podem dar; para saber
# ao certo, para este modelo, faça o bootstrap do RMSE de teste dele como na lição 02. O próprio limite `max_rmse` é uma
# linha sem margem: um modelo logo abaixo dela e outro logo acima são, nestes dados, o mesmo
# modelo.

# %% [markdown]
# ## Um parâmetro do tipo errado
#
# `alpha` é declarado `float` no `MLproject`, mas o MLflow só verifica se todo parâmetro sem
# valor padrão recebeu um valor, e entrega o valor ao comando do jeito que veio: o próprio
# analisador de argumentos do `train.py` (`type=float`) o recusa, a execução fica marcada como
# FAILED e `mlflow.projects.run` lança uma `ExecutionException` (esta célula deve falhar; a
# mensagem do analisador aparece na saída, acima do erro). Declare os tipos nos dois lugares:
# o `MLproject` os documenta, o script os impõe.

# %% tags=["raises-exception", "raises:ExecutionException"]
mlflow.projects.run(str(project), entry_point="train", parameters={"alpha": "a lot"},
                    env_manager="local", experiment_name=experiment_name)

# %% [markdown]
# Um ponto de entrada desconhecido é recusado do mesmo jeito, com a lista dos que existem:

# %% tags=["raises-exception", "raises:ExecutionException"]
mlflow.projects.run(str(project), entry_point="deploy", env_manager="local", experiment_name=experiment_name)

# %% [markdown]
# ## Reproduzindo uma execução passada
#
# O servidor guarda a pasta do projeto, o ponto de entrada, os parâmetros e o commit em que o
# checkout estava. Executar de novo o `mlflow.source.name` rodaria os arquivos de *hoje*, que
# podem ter mudado desde então. Para rodar o código gravado, clone o repositório numa pasta
# temporária, faça checkout do commit gravado e execute o projeto ali. O `train.py` importa
# `lab_utils`, então o `PYTHONPATH` também aponta para a cópia dele no clone.
#
# Para um projeto num servidor git, `mlflow run <git URL> --version <commit>` faz o clone e o
# checkout por você. Não passe `version=` com uma pasta local: o MLflow faria o checkout do
# commit na sua própria cópia de trabalho. O ambiente continua sendo o de hoje
# (`--env-manager local`); fixá-lo é o papel do `python_env.yaml` e de um ambiente novo.

# %%
import os
import shutil
import tempfile

import numpy as np

record = mlflow.get_run(cli_run.info.run_id)
commit = record.data.tags["mlflow.source.git.commit"]
folder = record.data.tags["mlflow.source.name"].partition("#")[2]  # projects/house_prices
checkout = tempfile.mkdtemp(prefix="reproduce-")
try:
    subprocess.run(["git", "clone", "--quiet", str(lab_utils.REPO_ROOT), checkout], check=True)
    subprocess.run(["git", "-C", checkout, "checkout", "--quiet", commit], check=True)
    os.environ["PYTHONPATH"] = checkout
    again = mlflow.projects.run(os.path.join(checkout, folder),
                                entry_point=record.data.tags["mlflow.project.entryPoint"],
                                parameters=record.data.params, env_manager="local",
                                experiment_name=experiment_name)
finally:
    os.environ.pop("PYTHONPATH", None)
    shutil.rmtree(checkout, ignore_errors=True)
reproduced = mlflow.get_run(again.run_id)
print("reproduzida a partir do commit", reproduced.data.tags["mlflow.source.git.commit"][:12])

# %% [markdown]
# ### Ponto de verificação
# A nova execução rodou o commit gravado com os parâmetros gravados e obteve as mesmas
# pontuações.

# %% tags=["nbval-check-output"]
assert reproduced.data.tags["mlflow.source.git.commit"] == commit
assert record.data.params == reproduced.data.params
for key in ("validation_rmse", "validation_r2"):
    print(f"{key}: original {lab_utils.format_number(record.data.metrics[key], 4)}  "
          f"reproduzida {lab_utils.format_number(reproduced.data.metrics.get(key, float('nan')), 4)}")
assert abs(record.data.metrics["validation_rmse"] - reproduced.data.metrics.get("validation_rmse", np.nan)) < 1e-6, (
    "o commit gravado não dá as pontuações originais: o projeto tinha alterações sem commit "
    f"quando a execução original rodou? Sem commit agora: {uncommitted or 'nenhuma'}")

# %% [markdown]
# > **Como está na prática.** Um projeto dá a uma execução um ponto de entrada reproduzível:
# > parâmetros com tipo, um ambiente, o commit do git e backends que o rodam em outro lugar
# > (local, Databricks, um Job do Kubernetes: a documentação "MLflow Projects" do MLflow, em
# > inglês). Uma imagem de contêiner e um orquestrador dão as mesmas garantias — a imagem fixa
# > o ambiente, o orquestrador passa os parâmetros, agenda, tenta de novo e guarda o histórico
# > (os deployments do Prefect na lição 07; Airflow, Jobs do Kubernetes) — e o MLflow fica só
# > com o rastreamento e o registro de modelos; a parte 2 da lição 05
# > gera uma imagem assim para servir o modelo. Os projetos continuam úteis para entregar a
# > alguém a reprodução de uma execução em um comando, como nesta lição, e para o `mlflow run`
# > de um repositório que não é seu.

# %% [markdown]
# ## Exercícios
#
# ### Exercício 1
# Execute o ponto de entrada `train` do projeto com `alpha=0.05` e `l1_ratio=0.95` e, em
# seguida, o ponto de entrada `validate` sobre essa execução com `max_rmse=15000`, ambos no
# experimento da lição (`experiment_name`), pelo Python ou com `mlflow run`. Coloque o id da
# execução de validação em `exercise_validation_id`. A verificação lê as duas execuções e
# recalcula o RMSE de validação e o veredito.

# %% tags=["exercise"]
exercise_validation_id = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# Chame `mlflow.projects.run(str(project), entry_point=..., parameters={...}, env_manager="local",
# experiment_name=experiment_name)` duas vezes; a primeira chamada devolve um `SubmittedRun` cujo
# `run_id` é o parâmetro `run_id` de `validate`.
#
# </details>

# %% tags=["solution"]
trained = mlflow.projects.run(str(project), entry_point="train",
                              parameters={"alpha": 0.05, "l1_ratio": 0.95},
                              env_manager="local", experiment_name=experiment_name)
exercise_validation_id = mlflow.projects.run(
    str(project), entry_point="validate", parameters={"run_id": trained.run_id, "max_rmse": 15000},
    env_manager="local", experiment_name=experiment_name,
).run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(exercise_validation_id, "Exercício 1"):
    from lab_utils.grading import lesson_06
    lesson_06.check_exercise_1(exercise_validation_id, experiment_name)

# %% [markdown]
# ## Resumo
#
# - O `MLproject` nomeia pontos de entrada, parâmetros (tipos documentados `string`, `float`,
#   `path`, `uri`) e comandos; `mlflow run` e `mlflow.projects.run` os executam e logam
#   uma execução com a sua procedência.
# - O MLflow não verifica um `float`: quem verifica é o script; um valor errado faz a execução
#   falhar (marcada como FAILED) e lança `ExecutionException`.
# - O veredito de um critério é uma tag em uma execução FINISHED (`validation_passed=false`
#   para um modelo recusado); FAILED quer dizer que o próprio critério não pôde rodar.
# - O que fica gravado (pasta, ponto de entrada, parâmetros, commit) permite rodar de novo o mesmo
#   código a partir de um checkout do commit; alterações sem commit não estão nele, e o
#   ambiente fica por sua conta.
#
# ## Leitura complementar (em inglês)
#
# As páginas abaixo só existem em inglês.
#
# - Documentação do MLflow: https://mlflow.org/docs/latest/
# - Rastreamento (Tracking): https://mlflow.org/docs/latest/ml/tracking/
# - Modelos (Models): https://mlflow.org/docs/latest/ml/model/
# - Registro de modelos (Model Registry): https://mlflow.org/docs/latest/ml/model-registry/
# - MLflow Projects (o arquivo `MLproject`, parâmetros, ambientes, `mlflow run`):
#   https://mlflow.org/docs/latest/ml/projects/
# - `mlflow.projects.run`: https://mlflow.org/docs/latest/api_reference/python_api/mlflow.projects.html
# - O comando `mlflow run`: https://mlflow.org/docs/latest/api_reference/cli.html
#
# ## Verifique o que aprendeu
#
# 1. O `MLproject` declara `alpha` como `float`. O que o MLflow faz quando você passa
#    `-P alpha=abc`, e o que interrompe a execução?
# 2. Uma execução não tem a tag `mlflow.project.env`, mas tem `mlflow.source.git.commit`.
#    Por quê?
# 3. Você editou o `train.py`, não fez commit e executou o projeto. O que o commit gravado
#    permite reproduzir?
# 4. Por que `validate` decide com o conjunto de validação e só depois avalia o conjunto de
#    teste?

# %% [markdown] tags=["solution"]
# 1. Nada: o MLflow só verifica se os parâmetros sem valor padrão têm um valor, e substitui
#    `abc` no comando. O `argparse` do `train.py` (`type=float`) o recusa; a execução fica
#    FAILED e `mlflow.projects.run` lança `ExecutionException`.
# 2. O projeto rodou com `--env-manager local`: o MLflow não criou ambiente, então não define
#    `mlflow.project.env`; o commit é o `HEAD` do checkout git em que o projeto está.
# 3. Só o código como estava naquele commit, sem a sua edição: o MLflow grava o `HEAD` e
#    não grava alterações sem commit. Faça commit antes de uma execução que você talvez
#    precise reproduzir.
# 4. Passar pelo critério é uma decisão; uma pontuação usada para decidir é otimista para o
#    modelo escolhido. O conjunto de teste, que nenhuma decisão viu, dá uma estimativa
#    honesta, informada uma única vez.

# %% [markdown]
# Próxima: **07 · Pipelines com Prefect**: o mesmo treinamento dentro de um fluxo orquestrado.
