# %% [markdown]
# # 07 · Pipelines com Prefect
#
# O treinamento raramente roda sozinho: os dados são carregados, um modelo é treinado,
# verificado e registrado — conforme um agendamento, com novas tentativas quando algo falha de
# forma intermitente. O Prefect orquestra essas etapas como um *fluxo* (flow) de *tarefas*
# (tasks); o MLflow guarda o que cada treinamento produziu. Esta lição executa o fluxo da
# página do DataFlow Lab, como está escrito, no servidor Prefect do laboratório, liga cada
# execução (run) do MLflow à sua execução de fluxo (flow run) do Prefect (e vice-versa),
# acrescenta novas tentativas (retries) e cache, serve um *deployment* agendado (um fluxo que
# o servidor sabe disparar) e
# aciona o MLflow Project da lição 06 a partir de um fluxo.
#
# **Você vai aprender** `@flow` e `@task`; o critério de acurácia que registra
# `modelo_producao`, decidido com dados de validação pelas ferramentas do próprio MLflow,
# `mlflow.models.evaluate` e `MetricThreshold`; a ligar execuções do MLflow a execuções
# de fluxo do Prefect; novas tentativas e cache de tarefas; deployments com `flow.serve` e
# `arun_deployment`; a consultar os dois servidores, cada um com o seu próprio cliente.
#
# **Tempo:** 40 minutos. **Pré-requisitos:** 01 · Rastreamento básico, 04 · O registro de
# modelos, 06 · MLflow Projects.
#
# **No mapa** (lição 00): o servidor Prefect: mais um cliente, que loga execuções e registra versões.

# %%
import lab_utils

lab = lab_utils.connect(language="pt_BR")

# %% [markdown]
# `connect()` apontou `PREFECT_API_URL` para o servidor Prefect do laboratório: cada execução
# de fluxo deste notebook fica guardada lá, visível na UI do Prefect, e não há nada para
# iniciar. Sem essa configuração, o perfil padrão do Prefect (`ephemeral`) inicia um servidor
# temporário num subprocesso na primeira vez que este kernel executa um fluxo — um por processo
# Python, que os fluxos seguintes reutilizam; ele não tem UI, guarda suas execuções num arquivo
# SQLite local (`~/.prefect/prefect.db`) e para quando o kernel termina.
#
# O Prefect também loga, no notebook, cada execução de fluxo e de tarefa, com um
# link para cada uma. Aqui mantemos só os avisos dele (os logs completos estão na página de
# cada execução de fluxo, na UI do Prefect) e lemos os estados pela API do Prefect.

# %%
import os

os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "WARNING"  # lida quando o Prefect é importado

from prefect.settings import PREFECT_API_URL

print("Prefect API:", PREFECT_API_URL.value())
print("Prefect UI: ", lab.prefect_ui_url)

# %% tags=["parameters"]
accuracy_threshold = 0.8

# %% [markdown]
# ## O fluxo da página do DataFlow Lab, como está escrito
#
# O fluxo chama duas funções que a página deixa por nossa conta: `treinar(params)` treina um
# modelo e `avaliar(model)` devolve as métricas dele, entre elas `accuracy`. O problema aqui é
# de classificação: uma casa é mais cara que a mediana (62.000 CAD)?
#
# O fluxo **decide** com base em `accuracy` (registrar ou não), então `avaliar` avalia o modelo
# nas casas de **validação**. `lab_utils.split_train_validation_test` mantém um terceiro
# conjunto, as casas de teste, fora de toda decisão: ele dá a pontuação honesta do modelo
# escolhido, uma única vez, no final.

# %%
import mlflow
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

houses = lab_utils.load_house_prices()
labels = lab_utils.expensive_house_labels(houses)
split = lab_utils.split_train_validation_test(houses, validation_size=0.2)
X_train, X_validation = split.X_train, split.X_validation
y_train, y_validation = labels.loc[X_train.index], labels.loc[X_validation.index]
print(f"casas: {len(X_train)} para treinar, {len(X_validation)} para validar, {len(split.X_test)} para testar")


def treinar(params):
    return make_pipeline(StandardScaler(), LogisticRegression(**params)).fit(X_train, y_train)


def avaliar(model):
    predictions = model.predict(X_validation)
    return {"accuracy": accuracy_score(y_validation, predictions), "f1": f1_score(y_validation, predictions)}


experiment = mlflow.set_experiment("pipeline_treinamento")

# %%
from prefect import flow, task
import mlflow

@task
def treinar_modelo(params):
    with mlflow.start_run() as run:
        # Registrar parâmetros
        mlflow.log_params(params)

        # Treinar modelo
        model = treinar(params)

        # Registrar métricas
        metrics = avaliar(model)
        mlflow.log_metrics(metrics)

        # Registrar modelo
        mlflow.sklearn.log_model(model, "model")

        return run.info.run_id, metrics

@flow
def pipeline_treinamento(params):
    run_id, metrics = treinar_modelo(params)

    # Registrar modelo se performance for boa
    if metrics["accuracy"] > 0.8:
        model_uri = f"runs:/{run_id}/model"
        mlflow.register_model(model_uri, "modelo_producao")

    return metrics

# %% [markdown]
# Chamar uma função `@flow` a roda: o Prefect cria uma execução de fluxo no servidor,
# roda a tarefa e grava cada estado. O fluxo da página leva várias vezes mais tempo que
# as chamadas de `retreinar_modelo` mais abaixo: como não recebe `pip_requirements`, o
# `log_model` infere os requisitos do modelo carregando-o num novo processo Python.
#
# Dois avisos vêm dos hábitos de MLflow 2 da página, e nenhum deles interrompe o fluxo:
# `log_model(model, "model")` passa o nome por posição, como o antigo `artifact_path` (o
# MLflow 3 o chama de `name`), e `runs:/<run>/model` já não contém os arquivos do modelo — o
# MLflow 3 os guarda com o *modelo logado* (logged model), e por isso
# `register_model` avisa que registra `models:/m-…` em seu lugar. O `pipelines/retrain.py`, mais
# abaixo, evita os três problemas.

# %%
from mlflow import MlflowClient

client = MlflowClient()
versions_before = len(client.search_model_versions("name = 'modelo_producao'"))
metrics = pipeline_treinamento({"C": 1.0})
print({k: round(v, 3) for k, v in metrics.items()})

# %% [markdown]
# ### Ponto de verificação: os dois servidores concordam
#
# A API do Prefect tem a execução de fluxo, COMPLETED; o MLflow tem uma nova versão de
# `modelo_producao`.

# %%
from lab_utils.prefect import latest_flow_run

seed_flow_run = latest_flow_run("pipeline-treinamento")
assert seed_flow_run.state_type.value == "COMPLETED", f"estado da execução de fluxo: {seed_flow_run.state_type}"
print(f"✓ a execução de fluxo {seed_flow_run.name} está {seed_flow_run.state_type.value} no servidor Prefect")
assert len(client.search_model_versions("name = 'modelo_producao'")) == versions_before + 1
checked = lab_utils.assert_model_version("modelo_producao")

# %% [markdown]
# O critério funcionou (acurácia de validação acima de 0,8). Um modelo abaixo do limiar é
# rastreado, mas não registrado — experimente com um modelo regularizado ao extremo, que mal
# usa as features:

# %%
weak = pipeline_treinamento({"C": 0.00001})
registered_after = len(client.search_model_versions("name = 'modelo_producao'"))

# %% tags=["nbval-check-output"]
print(f"acurácia de validação {lab_utils.format_number(weak['accuracy'], 3)}; registrado: {registered_after > versions_before + 1}")

# %% [markdown]
# ## Ligando os dois mundos
#
# De uma execução do MLflow, você quer chegar à execução de fluxo que a produziu e, da execução
# de fluxo, à execução do MLflow. O `pipelines/retrain.py` (neste repositório) faz as duas
# coisas: põe na execução do MLflow as tags `prefect.flow_run_id` e `prefect.flow_run_url` (de
# `prefect.runtime.flow_run`) e cria um **artefato de link** (link artifact) do Prefect que
# aponta para a execução do MLflow. Ele também separa o carregamento dos dados numa tarefa
# própria, com até 3 novas tentativas e cache de uma hora; transforma o limiar num parâmetro do
# fluxo; decide com as ferramentas do próprio MLflow (abaixo); e calcula a acurácia de teste
# só para um modelo que o critério aprovou, depois da decisão (`reportar_teste`).
#
# O `log_model` recebe os requisitos do modelo (`pip_requirements`, com versões fixadas por
# `mlflow.sklearn.get_default_pip_requirements`): sem eles, o MLflow os infere carregando o
# modelo num novo processo Python, a etapa mais lenta de todo o fluxo.

# %%
import inspect

from pipelines import retrain

print(inspect.getsource(retrain.carregar_dados))
print(inspect.getsource(retrain.treinar_e_registrar))

# %%
result = retrain.retreinar_modelo(C=1.0, limiar_acuracia=accuracy_threshold)
linked_run = mlflow.get_run(result["run_id"])
print("Execução do MLflow → Prefect:", linked_run.data.tags["prefect.flow_run_url"])

# %%
from lab_utils.prefect import flow_run_artifacts

artifacts = flow_run_artifacts(linked_run.data.tags["prefect.flow_run_id"])
print("Prefect → execução do MLflow:", artifacts[0].data)

# %% [markdown]
# ### Ponto de verificação

# %%
checked = lab_utils.assert_run_logged(result["run_id"], params={"C": 1.0},
                                      metrics=["validation_accuracy_score", "test_accuracy"],
                                      tags=["prefect.flow_run_id", "prefect.flow_run_url"])
assert result["run_id"] in artifacts[0].data, "o artefato do Prefect não aponta para a execução do MLflow"
print("✓ a execução do MLflow e a execução de fluxo do Prefect apontam uma para a outra")

# %% [markdown]
# ### O critério do próprio MLflow
#
# O fluxo da página compara `metrics["accuracy"] > 0.8` à mão. O `retreinar_modelo` usa o
# critério que vem com o MLflow, como a lição 04. A tarefa `avaliar_na_validacao` avalia o
# modelo logado nas casas de validação com `mlflow.models.evaluate` (`model_type="classifier"`):
# ela carrega o modelo do servidor como um cliente faria, loga uma dúzia de métricas
# (`validation_accuracy_score`, `validation_f1_score`, `validation_roc_auc`, …; o
# `metric_prefix` diz em que casas elas foram medidas) e cinco gráficos (curvas ROC e de
# precisão-revocação, matriz de confusão, …) na execução de treino, e liga as métricas ao
# modelo logado e ao conjunto de dados chamado `validation`. O fluxo entrega o resultado a
# `mlflow.validate_evaluation_results` com um `MetricThreshold(threshold=...,
# greater_is_better=True)`: ele retorna quando a acurácia alcança o limiar e lança
# `ModelValidationFailedException`, dizendo qual limiar falhou, quando não alcança. Uma
# diferença em relação à página: uma pontuação *igual* ao limiar do MLflow passa (`>=`; o `>`
# da página a recusava); em 82 casas de validação, nenhuma acurácia é exatamente 0,8. As linhas
# INFO são o critério falando; ele diz "against baseline" (contra a referência) mesmo quando,
# como aqui, há só um limiar (a lição 04 e o projeto final comparam com o campeão). A
# avaliação acrescenta alguns segundos a cada execução do fluxo: ela carrega o modelo e
# desenha os gráficos.

# %%
print(inspect.getsource(retrain.avaliar_na_validacao))
print(inspect.getsource(retrain.retreinar_modelo))

# %% [markdown]
# ### Ponto de verificação: a avaliação, lida de volta
#
# A execução de treino guarda as métricas e os gráficos da avaliação; o modelo logado dela, para
# o qual a versão registrada aponta, também guarda as métricas, ligadas ao conjunto de dados em
# que foram medidas (o `search_logged_models` o encontra pela execução, como na lição 01).

# %%
checked = lab_utils.assert_run_logged(result["run_id"], metrics=["validation_accuracy_score", "validation_roc_auc"],
                                      artifacts=["validation_confusion_matrix.png", "validation_roc_curve_plot.png"])
logged_model = mlflow.search_logged_models(experiment_ids=[experiment.experiment_id], output_format="list",
                                           filter_string=f"source_run_id = '{result['run_id']}'")[0]
on_model = {metric.key: metric for metric in logged_model.metrics}
assert on_model["validation_accuracy_score"].dataset_name == "validation", on_model["validation_accuracy_score"]
assert on_model["validation_accuracy_score"].value >= accuracy_threshold
print(f"✓ versão {result['registered_version']}: o modelo logado dela tem validation_accuracy_score "
      f"{lab_utils.format_number(on_model['validation_accuracy_score'].value, 3)}, medida no conjunto de dados 'validation'")

# %% [markdown]
# A página da execução de fluxo na UI do Prefect (o endereço na tag `prefect.flow_run_url` da
# execução) mostra o estado e a duração da execução, as execuções de tarefa numa linha do
# tempo e os logs; a aba **Artifacts** guarda o link de volta para a execução do MLflow. Uma
# execução de `retreinar-modelo`, capturada depois de as lições rodarem em um laboratório novo:
#
# ![Uma execução de retreinar-modelo na UI do Prefect](../../docs/screenshots/06_prefect_flow_run.png)
#
# ### A validação decide, o teste informa
#
# A execução que passou pelo critério traz as duas pontuações. A acurácia de validação foi
# usada para decidir, então favorece um pouco o modelo; a acurácia de teste, calculada uma
# única vez depois da decisão, é o número a informar para `modelo_producao`.

# %% tags=["nbval-check-output"]
scores = client.get_run(result["run_id"]).data.metrics
print(f"acurácia de validação {lab_utils.format_number(scores['validation_accuracy_score'], 3)} (decidiu o registro)")
print(f"acurácia de teste     {lab_utils.format_number(scores['test_accuracy'], 3)} (informada uma única vez, após a decisão)")


# %%
# Quanto uma acurácia pode variar por acaso (o quadro da lição 02): um erro padrão de uma proporção.
import numpy as np

standard_error = np.sqrt(scores["validation_accuracy_score"] * (1 - scores["validation_accuracy_score"]) / len(y_validation))
print(f"um erro padrão em {len(y_validation)} casas de validação: ±{lab_utils.format_number(standard_error, 3)}")

# %% [markdown]
# Leia o critério de promoção sob essa luz: uma acurácia medida em tantas casas varia mais ou
# menos isso de um sorteio de casas para outro; então um modelo que passa de 0,8 por menos de
# um erro padrão poderia igualmente não ter passado, e uma acurácia de teste alguns pontos
# abaixo da de validação está dentro do ruído, não é sinal de um modelo quebrado. Um critério
# que decide algo de verdade pede uma margem (lição 02), mais dados de validação, ou os dois.
# %% [markdown]
# ### Cache
#
# Execute o fluxo de novo: a tarefa de carregamento de dados não é executada uma segunda vez;
# o resultado dela vem do cache (estado `Cached`), porque suas entradas e seu código não
# mudaram. O cache fica no laboratório (`PREFECT_HOME`), por uma hora (`cache_expiration`).

# %%
from lab_utils.prefect import task_run_states

again = retrain.retreinar_modelo(C=0.5, limiar_acuracia=accuracy_threshold)
states = task_run_states(mlflow.get_run(again["run_id"]).data.tags["prefect.flow_run_id"])
print(dict(sorted(states.items())))
assert states["carregar_dados"] == "Cached", states

# %% [markdown]
# ## Um deployment agendado
#
# Um **deployment** (no Prefect, a "implantação" de um fluxo) torna um fluxo executável pelo
# servidor: conforme um agendamento, pela UI ou pelo código. `flow.serve(...)` cria um
# deployment no servidor Prefect, e é o processo que o serve que roda os fluxos disparados por ele. O laboratório inicia
# `python pipelines/retrain.py` (que chama
# `retreinar_modelo.serve(name="semanal", cron="0 3 * * 1")`) em segundo plano; depois
# disparamos uma execução agora, esperamos por ela e paramos o servidor. (Num laboratório de
# workshop, o deployment leva o seu nome, `semanal-<you>`, para que a sua execução vá para o
# seu próprio processo servidor.)
#
# Iniciar o processo servidor leva segundos, não milissegundos: é um novo Python que importa
# Prefect, MLflow e scikit-learn antes de criar o deployment.

# %%
from lab_utils.prefect import DeploymentServer

deployment = f"retreinar-modelo/{retrain.DEPLOYMENT}"
server = DeploymentServer(lab_utils.REPO_ROOT / "pipelines" / "retrain.py", deployment=deployment).start()

# %% [markdown]
# `run_deployment` é a chamada para um script. O Jupyter já executa um loop de eventos, no
# qual a API pública do Prefect é a corrotina `arun_deployment`: uma célula de notebook pode
# fazer `await` dela. Esta célula leva várias vezes mais tempo que um fluxo chamado aqui: o
# processo servidor inicia cada execução de fluxo num novo processo Python (o *spawn* do
# `multiprocessing`), que importa as mesmas bibliotecas mais uma vez, e parar o servidor
# espera esse processo terminar.

# %%
from prefect.deployments import arun_deployment

try:
    triggered = await arun_deployment(deployment, parameters={"C": 2.0}, timeout=180, poll_interval=1)
    print(f"execução do deployment {triggered.name}: {triggered.state.type.value}")
finally:
    server.stop()

# %% [markdown]
# ### Ponto de verificação

# %%
assert triggered.state.type.value == "COMPLETED", triggered.state
deployed_runs = mlflow.search_runs(experiment_names=["pipeline_treinamento"],
                                   filter_string=f"tags.`prefect.flow_run_id` = '{triggered.id}'")
assert len(deployed_runs) == 1, "nenhuma execução do MLflow para a execução de fluxo do deployment"
print(f"✓ o deployment rodou, como rodaria no horário agendado, e criou a execução do MLflow {deployed_runs.run_id[0][:8]}…")

# %% [markdown]
# ## Um fluxo que executa um MLflow Project
#
# Orquestração e empacotamento se combinam: um fluxo pode executar o projeto da lição 06, e
# assim o agendador não precisa saber como o treinamento funciona — só qual ponto de entrada
# (entry point) chamar.

# %%
import logging

# O MLflow mostraria a pasta temporária que cria para os parâmetros `path` do projeto.
logging.getLogger("mlflow.projects.utils").setLevel(logging.WARNING)


@flow(name="treinar-projeto")
def treinar_projeto(alpha: float = 0.3, l1_ratio: float = 0.5) -> str:
    submitted = mlflow.projects.run(
        str(lab_utils.REPO_ROOT / "projects" / "house_prices"), entry_point="train",
        parameters={"alpha": alpha, "l1_ratio": l1_ratio}, env_manager="local",
        experiment_name="projetos_mlflow",
    )
    return submitted.run_id


project_run_id = treinar_projeto(alpha=0.2)
project_flow_run = latest_flow_run("treinar-projeto")
checked = lab_utils.assert_run_logged(project_run_id, params={"alpha": "0.2"},
                                      tags={"mlflow.project.entryPoint": "train"})
assert project_flow_run.state_type.value == "COMPLETED"

# %% [markdown]
# ## Exercícios
#
# ### Exercício 1
# Execute `retrain.retreinar_modelo` com `C=0.1` e um limiar de `0.99` (que nenhum modelo
# alcança aqui). Coloque o resultado em `strict_result` (uma execução de fluxo iniciada pelo
# deployment também vale: coloque então o `FlowRun` ou o id dele). Alguma versão foi
# registrada? A verificação lê essa execução de fluxo no Prefect e a execução dela no MLflow.

# %% tags=["exercise"]
strict_result = ...  # seu código aqui

# %% tags=["solution"]
strict_result = retrain.retreinar_modelo(C=0.1, limiar_acuracia=0.99)

# %% [markdown]
# <details><summary>Dica</summary>
#
# Chame o fluxo como uma função, `retrain.retreinar_modelo(C=..., limiar_acuracia=...)`: ele
# devolve um dict com o `run_id` do MLflow e a `registered_version`.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(strict_result, "Exercício 1"):
    from lab_utils.grading import lesson_07
    lesson_07.check_exercise_1(strict_result)

# %% [markdown]
# Enquanto isso, o fluxo roda de novo com o mesmo `C` e o limiar padrão (como um agendamento
# faria): a execução de fluxo do Exercício 1 deixa de ser a mais recente de `retreinar-modelo`.

# %%
later_result = retrain.retreinar_modelo(C=0.1)

# %% [markdown]
# ### Exercício 2
# Usando o cliente do próprio Prefect (`prefect.client.orchestration.get_client`), encontre no
# servidor Prefect a execução de fluxo do Exercício 1: uma execução de `retreinar-modelo` cujo
# parâmetro `limiar_acuracia` é `0.99`, a mais recente (uma passada anterior pode ter deixado
# outras). Coloque o id dela (uma string) em `strict_flow_run_id`. A verificação lê essa
# execução de fluxo pela API do Prefect e a compara com a do Exercício 1.

# %% tags=["exercise"]
strict_flow_run_id = ...  # seu código aqui

# %% tags=["solution"]
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName
from prefect.client.schemas.sorting import FlowRunSort

with get_client(sync_client=True) as prefect_client:
    retrain_runs = prefect_client.read_flow_runs(
        flow_filter=FlowFilter(name=FlowFilterName(any_=["retreinar-modelo"])),
        sort=FlowRunSort.START_TIME_DESC, limit=20)
strict_flow_run_id = str(next(r.id for r in retrain_runs if r.parameters.get("limiar_acuracia") == 0.99))

# %% [markdown]
# <details><summary>Dica</summary>
#
# `with get_client(sync_client=True) as c:` e depois `c.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[...])),
# sort=FlowRunSort.START_TIME_DESC)` (de `prefect.client.schemas.filters` e `.sorting`); cada
# execução de fluxo tem `.parameters` e `.id`.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(strict_flow_run_id, "Exercício 2"):
    from lab_utils.grading import lesson_07
    lesson_07.check_exercise_2(strict_flow_run_id, strict_result)

# %% [markdown]
# ## Resumo
#
# - Aponte o Prefect para um servidor de verdade (`PREFECT_API_URL`): cada execução fica
#   guardada e visível na UI dele; sem isso, cada processo Python inicia um servidor
#   temporário próprio.
# - Rastreie com o MLflow dentro das tarefas, como de costume; condicione o registro a uma
#   métrica de validação com o critério do próprio MLflow (`mlflow.models.evaluate`, depois
#   `mlflow.validate_evaluation_results` com um `MetricThreshold`) e calcule a pontuação de
#   teste uma única vez, para o modelo aprovado.
# - Ligue nos dois sentidos: tags na execução do MLflow, um artefato de link na execução de
#   fluxo.
# - Novas tentativas e cache pertencem às etapas instáveis e caras (o carregamento de dados).
# - `flow.serve` + `run_deployment` (`await arun_deployment` num notebook) oferecem
#   agendamentos e execuções sob demanda; um fluxo pode executar um MLflow Project.
# - Consulte o Prefect com o cliente dele (`get_client`), como o MLflow com o `MlflowClient`.
#
# ## Leitura complementar (em inglês)
#
# As páginas abaixo só existem em inglês.
#
# - [Documentação do MLflow](https://mlflow.org/docs/latest/)
# - [Rastreamento (Tracking)](https://mlflow.org/docs/latest/ml/tracking/)
# - [Modelos (Models)](https://mlflow.org/docs/latest/ml/model/)
# - [Registro de modelos (Model Registry)](https://mlflow.org/docs/latest/ml/model-registry/)
# - [Avaliação de modelos](https://mlflow.org/docs/latest/ml/evaluation/) — `mlflow.models.evaluate`
#   e a validação de modelos com `MetricThreshold`
# - [Prefect: cache de resultados de tarefas](https://docs.prefect.io/v3/concepts/caching)
# - [Prefect: disparar execuções de deployments](https://docs.prefect.io/v3/how-to-guides/deployments/run-deployments)
#   — `run_deployment` e, em código assíncrono, `arun_deployment`
# - [`prefect.deployments.flow_runs`](https://docs.prefect.io/v3/api-ref/python/prefect-deployments-flow_runs)
#
# ## Verifique o que aprendeu
#
# 1. Sem `PREFECT_API_URL`, quantos servidores Prefect temporários um notebook que executa
#    cinco fluxos inicia, e o que sobra das execuções deles quando o kernel termina?
# 2. O fluxo da página registra quando `accuracy > 0.8`. Por que essa acurácia precisa vir das
#    casas de validação, e não das casas de teste?
# 3. A segunda chamada de `retreinar_modelo` mostra `carregar_dados` como `Cached`. Que duas
#    coisas compõem a chave de cache dessa tarefa, e o que a faria executar de novo?
# 4. Por que um notebook faz `await arun_deployment(...)` onde um script chama
#    `run_deployment(...)`?
# 5. Dada uma execução do MLflow feita por `retreinar_modelo`, como você chega à execução de
#    fluxo dela e, a partir da execução de fluxo, à execução do MLflow?

# %% [markdown] tags=["solution"]
# 1. Um: o Prefect inicia um único servidor temporário por processo Python, na primeira vez
#    que um fluxo precisa da API, e os fluxos seguintes o reutilizam. As execuções ficam no
#    arquivo SQLite local (`~/.prefect/prefect.db`), mas nada as serve depois que o kernel
#    termina, e esse servidor não tem UI.
# 2. A acurácia decide o que é registrado. Uma pontuação usada para decidir é otimista; as
#    casas de teste precisam ficar fora de toda decisão para que a acurácia de teste,
#    calculada uma única vez para o modelo registrado, seja uma estimativa honesta.
# 3. As entradas da tarefa (`validation_size`) e o código-fonte dela (`INPUTS + TASK_SOURCE`);
#    mudar qualquer um dos dois, ou o fim da hora de `cache_expiration`, faz a tarefa executar
#    de novo.
# 4. O Jupyter executa um loop de eventos, e dentro dele o `run_deployment` do Prefect, que
#    escolhe entre as versões síncrona e assíncrona, devolve uma corrotina; `arun_deployment` é
#    a função assíncrona feita para esse caso. Um script não tem loop em execução, então
#    `run_deployment` bloqueia e devolve a execução de fluxo.
# 5. As tags `prefect.flow_run_id` / `prefect.flow_run_url` dela levam à execução de fluxo; o
#    artefato de link `mlflow-run` da execução de fluxo leva de volta à execução do MLflow.

# %% [markdown]
# Próxima: **08 · Comparando execuções e boas práticas**.
